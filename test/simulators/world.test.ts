import { DEMO_ORGANISATIONS, demoPeople, normalisedEmail } from '../../simulators/people';
import { buildWorld, demoSubjectsJson, REFERENCE_NOW, sampleSubjects, type DemoWorld } from '../../simulators/world';
import { TEST_USERS } from './helpers';

const DAY = 86_400_000;
let world: DemoWorld;
beforeAll(() => {
  world = buildWorld();
});

const channelEmails = (w: DemoWorld) =>
  w.hogia.contacts.flatMap((c) => c.contactChannels.filter((ch) => ch.type === 'Email').map((ch) => normalisedEmail(ch.value)));

describe('demo world', () => {
  it('is deterministic: the same users and seed give the same world, another seed another', () => {
    const a = buildWorld({ users: TEST_USERS });
    const b = buildWorld({ users: TEST_USERS });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const other = buildWorld({ users: TEST_USERS, seed: 7 });
    expect(JSON.stringify(other.sendgrid.messages)).not.toBe(JSON.stringify(a.sendgrid.messages));
    expect(world.users).toBe(3000);
    expect(world.now).toBe(REFERENCE_NOW);
  });

  it('places the sample subjects the same way in the smallest app (7 users)', () => {
    const small = buildWorld({ users: 7 });
    const systems = (w: DemoWorld) => sampleSubjects(w).map((s) => [s.ref, s.systems.join(',')]);
    expect(systems(small)).toEqual(systems(world));
    expect(() => buildWorld({ users: 6 })).toThrow(/users/);
  });

  it('uses the app database people, with their emails', () => {
    const people = demoPeople(3000);
    const app = world.cast.people.filter((p) => p.appUserId !== null);
    expect(app).toHaveLength(3000);
    app.forEach((p, i) => expect([p.appUserId, p.email, p.firstName]).toEqual([people[i].id, people[i].email, people[i].firstName]));
    const appEmails = new Set(people.map((p) => normalisedEmail(p.email)));
    const outsiders = world.cast.people.filter((p) => p.appUserId === null);
    expect(outsiders.length).toBeGreaterThan(20);
    expect(outsiders.every((p) => !appEmails.has(normalisedEmail(p.email)))).toBe(true);
    const all = world.cast.people.map((p) => normalisedEmail(p.email));
    expect(new Set(all).size).toBe(all.length);
  });

  it('places the sample subjects as documented', () => {
    const s = new Map(sampleSubjects(world).map((x) => [x.ref, x]));
    expect(s.get('app-1')).toMatchObject({ name: 'Anna Lindqvist', systems: ['app', 'sendgrid', 'limego', 'hogia', 'zoom'], ids: { appUserId: '1', crmPersonId: 'pase1578159', hogiaContactNumber: '3001' } });
    expect(s.get('app-1')!.ids.sendgridContactId).toBeDefined();
    expect(s.get('app-1')!.ids.zoomRegistrantIds).toHaveLength(3);
    expect(s.get('lookalike-anna')).toMatchObject({ name: 'Anna Lindqvist', email: 'anna.lindqvist@fourthcoffee.example', systems: ['limego', 'zoom'] });
    expect(s.get('app-2')).toMatchObject({ email: 'erik_nilsson@contoso.example', systems: ['app', 'sendgrid'] });
    expect(s.get('app-3')!.systems).toEqual(['app', 'sendgrid']);
    expect(s.get('app-4')).toMatchObject({ systems: ['app', 'hogia'], ids: { customerNumber: '2001', hogiaContactNumber: '2001' } });
    expect(s.get('app-5')!.systems).toEqual(['app', 'limego']);
    expect(s.get('app-6')!.systems).toEqual(['app', 'limego', 'hogia']);
    expect(s.get('app-7')!.systems).toEqual(['app', 'sendgrid']);
    expect(s.get('supplier-per')!.systems).toEqual(['limego', 'hogia']);
    expect(s.get('private-karin')!.systems).toEqual(['sendgrid', 'limego', 'hogia', 'zoom']);
    expect(demoSubjectsJson(world)).toContainEqual({ email: 'sofia.berg@fabrikam.example', systems: ['app', 'hogia'] });

    const sg = world.sendgrid;
    expect(sg.globalUnsubscribes.map((u) => u.email)).toContain('erik_nilsson@contoso.example');
    expect(sg.messages.filter((m) => m.to_email === 'erik_nilsson@contoso.example').some((m) => m.events.some((e) => e.event_name === 'dropped'))).toBe(true);
    expect(sg.bounces.map((b) => b.email)).toContain('maria.holm@northwind.example');
    const lookalikes = world.limego.persons.filter((p) => p.name === 'Anna Lindqvist');
    expect(new Set(lookalikes.map((p) => p.employerId)).size).toBe(lookalikes.length);
    expect(lookalikes.length).toBeGreaterThanOrEqual(2);

    const sofia = world.hogia.contacts.find((c) => c.number === '2001')!;
    expect(sofia.contactChannels).toEqual([{ type: 'Email', value: 'sofia.berg@fabrikam.example' }, { type: 'Mobile', value: '+46761234504' }]);
    expect(sofia.customer).not.toBeNull();
  });

  it('keeps email activity within the last 30 days, as SendGrid does', () => {
    expect(world.sendgrid.messages.length).toBeGreaterThan(3000);
    const times = world.sendgrid.messages.flatMap((m) => m.events.map((e) => Date.parse(e.processed)));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(REFERENCE_NOW - 30 * DAY);
    expect(Math.max(...times)).toBeLessThanOrEqual(REFERENCE_NOW);
    // Organisations whose contract ended more than 30 days ago get no mail.
    const ended = new Set(DEMO_ORGANISATIONS.filter((o) => o.contractEnd && Date.parse(o.contractEnd) < REFERENCE_NOW - 31 * DAY).map((o) => o.domain));
    expect(world.sendgrid.messages.some((m) => m.from_email.startsWith('noreply') && ended.has(m.to_email.split('@')[1]))).toBe(false);
  });

  it('puts customer and supplier contacts in Lime Go and Hogia, some of them app users', () => {
    const crmEmails = new Set(world.limego.persons.map((p) => normalisedEmail(p.email!)));
    const hogiaEmails = new Set(channelEmails(world));
    const contacts = world.cast.people.filter((p) => p.invoicing === 'contactPerson');
    expect(contacts.some((p) => p.appUserId !== null)).toBe(true);
    expect(contacts.some((p) => p.organisation?.kind === 'supplier')).toBe(true);
    for (const p of contacts) expect(hogiaEmails.has(normalisedEmail(p.email))).toBe(true);
    for (const p of world.cast.people.filter((x) => x.crm)) expect(crmEmails.has(normalisedEmail(p.email))).toBe(true);
    const privates = world.cast.people.filter((p) => p.invoicing === 'privateCustomer');
    expect(privates.length).toBe(20);
    expect(privates.some((p) => p.appUserId !== null && p.appUserId > 7)).toBe(true);
    expect(privates.some((p) => p.appUserId === null)).toBe(true);
  });

  it('writes invoices 2019..2026, fiscal year = calendar year; company invoices name the contact only in the reference', () => {
    const invoices = world.hogia.invoices;
    const years = new Set(invoices.map((i) => i.invoiceHeader.fiscalYear));
    expect([...years].sort()).toEqual([2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026]);
    for (const i of invoices) expect(i.invoiceHeader.fiscalYear).toBe(Number(i.invoiceHeader.invoiceDate.slice(0, 4)));
    const byId = new Map(world.hogia.contacts.map((c) => [c.id, c]));
    const personEmails = new Set(world.cast.people.map((p) => normalisedEmail(p.email)));
    for (const i of invoices) {
      const customer = byId.get(i.invoiceHeader.customerId)!;
      expect(customer.customer).not.toBeNull();
      if (customer.companyName) {
        expect(i.invoiceHeader.customerName).toBe(customer.companyName);
        expect(i.invoiceHeader.yourReference).toBe(customer.customer!.invoiceReference);
        const text = JSON.stringify(i).toLowerCase();
        expect(text.match(/[^\s"@]+@[^\s"]+/g)?.filter((e) => personEmails.has(e)) ?? []).toEqual([]);
      } else {
        expect(i.invoiceHeader.customerName).toBe(`${customer.givenName} ${customer.surName}`);
      }
      expect(i.grossAmount).toBeCloseTo(i.invoiceLines.reduce((s, l) => s + l.netAmount * 1.25, 0), 2);
    }
    const numbers = invoices.map((i) => i.invoiceHeader.invoiceNumber);
    expect(new Set(numbers).size).toBe(numbers.length);
  });
});
