import { startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const VERIFY = '{ verifyAuditChain { ok events firstBrokenEventId } }';
const EVENTS = `query($first: Int, $after: String) { auditEvents(first: $first, after: $after) {
  edges { cursor node { id at actor action requestId subjectRef hash } } pageInfo { hasNextPage endCursor } } }`;

describe('audit trail: every subject read, one hash chain, tampering detected', () => {
  let gw: TestGateway;
  const store = (sql: string, params: unknown[] = []) => gw.gateway.store.query(sql, params);
  const verify = async () => (await gw.gql(TOKENS.AUDITOR, VERIFY)).data.verifyAuditChain;
  const read = (email: string, token: string = TOKENS.OPERATOR) => gw.gql(token, 'query($e: String!) { subject(input: {email: $e}) { found } }', { e: email });

  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('writes one subject.viewed event per subject read, naming the subject only by HMAC', async () => {
    const before = (await verify()).events;
    await read('anna.lindqvist@northwind.example');
    await gw.gql(TOKENS.OPERATOR2, '{ subjects(inputs: [{appUserId: "2"}, {appUserId: "3"}, {email: "nobody@nowhere.example"}]) { found } }');
    const after = await verify();
    expect(after).toEqual({ ok: true, events: before + 4, firstBrokenEventId: null });
    const page = (await gw.gql(TOKENS.AUDITOR, EVENTS, { first: 4 })).data.auditEvents;
    const nodes = page.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => n.actor)).toEqual(['otto', 'otto', 'otto', 'olivia']);
    expect(nodes.every((n: any) => n.action === 'subject.viewed' && /^[0-9a-f]{64}$/.test(n.subjectRef))).toBe(true);
    expect(new Set(nodes.map((n: any) => n.subjectRef)).size).toBe(4);
    // the same subject named the same way gets the same reference; nothing stored names them
    await read('ANNA.LINDQVIST@northwind.example ');
    const again = (await gw.gql(TOKENS.AUDITOR, EVENTS, { first: 1 })).data.auditEvents.edges[0].node;
    expect(again.subjectRef).toBe(nodes[3].subjectRef);
    const dump = JSON.stringify(await store('SELECT * FROM audit_events'));
    expect(dump).not.toMatch(/lindqvist|nowhere/i);
  });

  it('does not audit a refused read, and refuses before reading', async () => {
    const before = (await verify()).events;
    await read('anna.lindqvist@northwind.example', TOKENS.VIEWER);
    await gw.gql(TOKENS.OPERATOR, '{ subject(input: {email: "bad"}) { found } }');
    expect((await verify()).events).toBe(before);
  });

  it('returns no data when the read cannot be audited', async () => {
    await store('ALTER TABLE audit_events RENAME TO audit_events_away');
    try {
      const res = await read('anna.lindqvist@northwind.example');
      expect(res.data).toBeNull();
      expect(res.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['INTERNAL_SERVER_ERROR', 'Internal server error']]);
      expect(JSON.stringify(res)).not.toMatch(/audit_events|lindqvist|SQL/i);
    } finally {
      await store('ALTER TABLE audit_events_away RENAME TO audit_events');
    }
    expect((await verify()).ok).toBe(true);
  });

  it('pages through events newest first with cursors', async () => {
    for (let i = 0; i < 5; i++) await read(`person${i}@example.se`);
    const p1 = (await gw.gql(TOKENS.AUDITOR, EVENTS, { first: 3 })).data.auditEvents;
    const p2 = (await gw.gql(TOKENS.AUDITOR, EVENTS, { first: 3, after: p1.pageInfo.endCursor })).data.auditEvents;
    const ids = [...p1.edges, ...p2.edges].map((e: any) => Number(e.node.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(6);
    expect(ids[0]! - ids[5]!).toBe(5);
    expect(p1.pageInfo.hasNextPage).toBe(true);
  });

  it('keeps one chain under concurrent writers', async () => {
    const before = (await verify()).events;
    await Promise.all(Array.from({ length: 40 }, (_, i) => read(`concurrent${i}@example.se`, i % 2 ? TOKENS.OPERATOR : TOKENS.OPERATOR2)));
    expect(await verify()).toEqual({ ok: true, events: before + 40, firstBrokenEventId: null });
  });

  it('keeps one chain when two gateway processes share the store', async () => {
    const other = await startTestGateway({ reuse: { storeUrl: gw.storeUrl, appUrl: gw.appUrl } });
    try {
      const before = (await verify()).events;
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 ? gw : other).gql(TOKENS.OPERATOR, '{ subjects(inputs: [{appUserId: "4"}, {appUserId: "5"}]) { found } }'),
        ),
      );
      expect(await verify()).toEqual({ ok: true, events: before + 60, firstBrokenEventId: null });
      const seqs = (await store('SELECT seq FROM audit_events ORDER BY seq')).map((r: any) => Number(r.seq));
      expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    } finally {
      await other.close();
    }
  });

  describe('tampering', () => {
    const row = async (seq: number) => (await store('SELECT * FROM audit_events WHERE seq = ?', [seq]))[0];
    const reinsert = (r: any) =>
      store('INSERT INTO audit_events (seq, at, actor, action, request_id, subject_ref, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        r.seq, r.at, r.actor, r.action, r.request_id, r.subject_ref, r.prev_hash, r.hash,
      ]);

    it('detects an altered event', async () => {
      const original = await row(3);
      await store('UPDATE audit_events SET actor = ? WHERE seq = 3', ['mallory']);
      expect(await verify()).toMatchObject({ ok: false, firstBrokenEventId: '3' });
      await store('UPDATE audit_events SET actor = ? WHERE seq = 3', [original.actor]);
      expect((await verify()).ok).toBe(true);
    });

    it('detects an altered time, subject reference or hash', async () => {
      for (const column of ['at', 'subject_ref', 'hash', 'prev_hash']) {
        const original = await row(5);
        const forged = column === 'at' ? '2020-01-01T00:00:00.000Z' : 'f'.repeat(64);
        await store(`UPDATE audit_events SET ${column} = ? WHERE seq = 5`, [forged]);
        expect(await verify()).toMatchObject({ ok: false, firstBrokenEventId: '5' });
        await store(`UPDATE audit_events SET ${column} = ? WHERE seq = 5`, [original[column]]);
      }
      expect((await verify()).ok).toBe(true);
    });

    it('detects a deleted event, in the middle and at the end', async () => {
      const middle = await row(4);
      await store('DELETE FROM audit_events WHERE seq = 4');
      expect(await verify()).toMatchObject({ ok: false, firstBrokenEventId: '5' });
      await reinsert(middle);
      expect((await verify()).ok).toBe(true);

      const [{ n }] = await store('SELECT MAX(seq) AS n FROM audit_events');
      const last = await row(Number(n));
      await store('DELETE FROM audit_events WHERE seq = ?', [n]);
      const report = await verify();
      expect(report.ok).toBe(false);
      expect(report.firstBrokenEventId).toBe(String(Number(n) - 1));
      await reinsert(last);
      expect((await verify()).ok).toBe(true);
    });

    it('detects reordered events', async () => {
      await store('UPDATE audit_events SET seq = -1 WHERE seq = 6');
      await store('UPDATE audit_events SET seq = 6 WHERE seq = 7');
      await store('UPDATE audit_events SET seq = 7 WHERE seq = -1');
      expect(await verify()).toMatchObject({ ok: false, firstBrokenEventId: '6' });
      await store('UPDATE audit_events SET seq = -1 WHERE seq = 6');
      await store('UPDATE audit_events SET seq = 6 WHERE seq = 7');
      await store('UPDATE audit_events SET seq = 7 WHERE seq = -1');
      expect((await verify()).ok).toBe(true);
    });

    it('detects a forged event appended without the key', async () => {
      const [{ n }] = await store('SELECT MAX(seq) AS n FROM audit_events');
      const last = await row(Number(n));
      const { createHash } = await import('node:crypto');
      const at = new Date().toISOString();
      const hash = createHash('sha256').update(`${last.hash}\n${JSON.stringify([Number(n) + 1, at, 'mallory', 'subject.viewed', null, null])}`).digest('hex');
      await store('INSERT INTO audit_events (seq, at, actor, action, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)', [Number(n) + 1, at, 'mallory', 'subject.viewed', last.hash, hash]);
      await store('UPDATE audit_chain_head SET last_seq = ?, last_hash = ? WHERE id = 1', [Number(n) + 1, hash]);
      expect(await verify()).toMatchObject({ ok: false, firstBrokenEventId: String(Number(n) + 1) });
    });
  });
});
