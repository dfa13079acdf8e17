import { normaliseEmail } from '../../src/services/identity';
import { buildWorld, sampleSubjects } from '../../simulators/world';
import { http, injectFault } from '../simulators/helpers';
import { startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const USERS = 300;
const samples = sampleSubjects(buildWorld({ users: USERS }));
const emailOf = (ref: string) => normaliseEmail(samples.find((s) => s.ref === ref)!.email);

const QUERY = `query($input: SubjectInput!) {
  subject(input: $input) {
    identifiers { kind value source }
    systems { system status error datasets { name totalCount } }
    emailMessages { msgId toEmail status opensCount lastEventTime events { name processedAt reason url bounceType } }
    emailSuppressions { kind email group { id name } createdAt reason status }
    marketingContact { id email phoneNumber listIds createdAt }
  }
}`;

describe('SendGrid typed views through the gateway', () => {
  let gw: TestGateway;
  const subject = (email: string) => gw.gql(TOKENS.OPERATOR, QUERY, { input: { email } });
  const sendgrid = () => gw.simulators!.sendgrid;

  beforeAll(async () => {
    gw = await startTestGateway({ users: USERS, simulators: true });
  });
  afterAll(() => gw.close());
  afterEach(() => http(`${sendgrid().baseUrl}/__sim/faults`, { method: 'DELETE' }));

  it('shows messages with their events, suppressions and the marketing contact', async () => {
    const anna = await subject(emailOf('app-1'));
    expect(anna.errors).toBeUndefined();
    const s = anna.data.subject;
    expect(s.systems.find((x: any) => x.system === 'sendgrid')).toMatchObject({ status: 'OK', error: null });
    expect(s.emailMessages.length).toBeGreaterThan(10);
    expect(s.emailMessages.every((m: any) => m.toEmail === emailOf('app-1') && m.events.length > 0)).toBe(true);
    expect(s.marketingContact).toMatchObject({ email: emailOf('app-1'), phoneNumber: expect.stringMatching(/^\+46/) });

    const maria = (await subject(emailOf('app-7'))).data.subject;
    expect(maria.emailSuppressions).toEqual([expect.objectContaining({ kind: 'BOUNCE', status: '5.1.1', group: null })]);
    const bounced = maria.emailMessages.flatMap((m: any) => m.events).find((e: any) => e.name === 'bounced');
    expect(bounced).toMatchObject({ bounceType: 'hard', reason: expect.stringContaining('550') });

    const erik = (await subject(emailOf('app-2'))).data.subject;
    expect(erik.emailSuppressions.map((x: any) => x.kind)).toEqual(['GLOBAL_UNSUBSCRIBE', 'GROUP_UNSUBSCRIBE']);
    expect(erik.marketingContact).toBeNull();
  });

  it('keeps the subject when the events of a message cannot be read', async () => {
    await injectFault(sendgrid().baseUrl, { pathPattern: '^/v3/messages/', status: 401 });
    const res = await subject(emailOf('app-3'));
    expect(res.data.subject.emailMessages.length).toBeGreaterThan(0);
    expect(res.data.subject.emailMessages.every((m: any) => m.events === null)).toBe(true);
    expect(res.errors!.every((e) => e.extensions?.code === 'SYSTEM_UNAVAILABLE' && !e.message.includes('@'))).toBe(true);
  });
});
