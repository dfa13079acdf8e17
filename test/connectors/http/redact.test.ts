import { parseRateLimitReset, parseRetryAfter, redactUrl, requestedWaitMs } from '../../../src/connectors/http';

describe('redactUrl', () => {
  it.each([
    ['/v3/messages?query=to_email%3D%22a%40b.se%22&limit=10', '/v3/messages'],
    ['/v3/asm/suppressions/global/a%40b.se', '/v3/asm/suppressions/global/:email'],
    ['/v3/suppression/bounces/anna@example.com', '/v3/suppression/bounces/:email'],
    ['/v3/messages/14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0', '/v3/messages/:id'],
    ['/v3/marketing/contacts/{id}', '/v3/marketing/contacts/{id}'],
    ['/v1/graphql', '/v1/graphql'],
    ['/3f2504e0-4f89-11d3-9a0c-0305e82c3301/contacts/12345', '/:id/contacts/:number'],
    ['/contacts/+46%2070-123%2045%2067', '/contacts/:number'],
    ['/persons/pase1578159', '/persons/:id'],
    ['/users/anna.svensson/webinars', '/users/:value/webinars'],
    ['/users/Anna%20Svensson', '/users/:value'],
    ['/tokens/abcdefghijklmnopqrstuvwxyzABCDEFGH', '/tokens/:id'],
    ['/v15/customers/1234567890/offlineUserDataJobs:create', '/v15/customers/:number/offlineUserDataJobs:create'],
    ['/v15/customers/123/offlineUserDataJobs/987:run', '/v15/customers/:number/offlineUserDataJobs/:number:run'],
    ['/rest/dmpSegments/{id}/users', '/rest/dmpSegments/{id}/users'],
    ['https://user:pw@api.sendgrid.com/v3/asm/suppressions/a@b.se#frag', 'https://api.sendgrid.com/v3/asm/suppressions/:email'],
    ['/bad/%E0%A4%A', '/bad/:value'],
  ])('%s -> %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe('requested waits', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('1', now)).toBe(1_000);
    expect(parseRetryAfter(' 2.5 ', now)).toBe(2_500);
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('reads X-RateLimit-Reset as seconds-until, epoch seconds or epoch ms by magnitude', () => {
    expect(parseRateLimitReset('30', now)).toBe(30_000);
    expect(parseRateLimitReset(String(now / 1000 + 45), now)).toBe(45_000);
    expect(parseRateLimitReset(String(now + 1_500), now)).toBe(1_500);
    expect(parseRateLimitReset(String(now / 1000 - 10), now)).toBe(0);
    expect(parseRateLimitReset('-1', now)).toBeUndefined();
  });

  it('asks for a wait only on 429 (either header) and 503 (Retry-After)', () => {
    const h = { 'retry-after': '3', 'x-ratelimit-reset': '7' };
    expect(requestedWaitMs(429, h, now)).toBe(3_000);
    expect(requestedWaitMs(429, { 'x-ratelimit-reset': '7' }, now)).toBe(7_000);
    expect(requestedWaitMs(503, h, now)).toBe(3_000);
    expect(requestedWaitMs(503, { 'x-ratelimit-reset': '7' }, now)).toBeUndefined();
    expect(requestedWaitMs(200, h, now)).toBeUndefined();
  });
});
