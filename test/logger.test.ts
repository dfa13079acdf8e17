import { Writable } from 'node:stream';
import { createLogger } from '../src/logger';

describe('log redaction', () => {
  it('never writes identifiers, tokens, secrets or record contents, at any of the usual depths', () => {
    const lines: string[] = [];
    const logger = createLogger('debug', new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
    const secrets = {
      email: 'eva.berg@example.se',
      phone: '+46701234567',
      token: 'tok-secret-1',
      authorization: 'Bearer tok-secret-2',
      accessToken: 'eyJhbGciOi.secret-3',
      refresh_token: 'secret-4',
      apiKey: 'SG.secret-5',
      clientSecret: 'secret-6',
      preferred_username: 'eva.admin@example.se',
      records: [{ note: 'secret-7 record content' }],
    };
    logger.info({ ...secrets, nested: { ...secrets, deeper: { ...secrets } }, req: { headers: { authorization: 'Bearer tok-secret-8', cookie: 'sid=secret-9' } }, system: 'app' }, 'a call');
    const out = lines.join('');
    expect(JSON.parse(out).system).toBe('app');
    for (const v of ['eva.berg', '46701234567', 'tok-secret', 'secret-3', 'secret-4', 'secret-5', 'secret-6', 'eva.admin', 'secret-7', 'secret-9']) expect(out).not.toContain(v);
  });
});
