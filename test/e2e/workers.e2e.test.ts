import { existsSync } from 'node:fs';
import path from 'node:path';
import { startTestGateway, TOKENS, type TestGateway } from '../support/gateway';

const SUBMIT = 'mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { id status } }';
const finishedTasks = (gw: TestGateway) => gw.logs.filter((l) => l.includes('"msg":"task finished"')).map((l) => JSON.parse(l) as { taskId?: string; task?: string });

describe('durable workers', () => {
  it('two gateway processes on one store share 50 requests and run no task twice', async () => {
    const a = await startTestGateway({ env: { DSR_WORKER_CONCURRENCY: '3' } });
    const b = await startTestGateway({ reuse: { storeUrl: a.storeUrl, appUrl: a.appUrl }, env: { DSR_WORKER_CONCURRENCY: '3' } });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) {
        const gw = i % 2 ? b : a;
        const res = await gw.gql(TOKENS.OPERATOR, SUBMIT, { input: { type: 'ACCESS', subject: { appUserId: String(10 + i) }, verification: 'app session' } });
        if (!res.data) throw new Error(JSON.stringify(res.errors) + (gw.logs.filter((l) => l.includes("error")).slice(-3).join("")));
        ids.push(res.data.submitRequest.id);
      }
      const until = Date.now() + 120_000;
      for (;;) {
        const res = await a.gql(TOKENS.OPERATOR, '{ requests(first: 200, status: [IN_PROGRESS]) { totalCount } }');
        if (res.data.requests.totalCount === 0) break;
        if (Date.now() > until) throw new Error('requests did not finish');
        await new Promise((r) => setTimeout(r, 200));
      }
      const statuses = await a.gateway.store.query('SELECT status, COUNT(*) AS n FROM dsr_requests GROUP BY status');
      expect(statuses.map((s: any) => [s.status, Number(s.n)])).toEqual([['COMPLETED', 50]]);
      // every step was claimed exactly once: a second claim would have counted a second attempt
      const tasks = await a.gateway.store.query("SELECT attempts, state FROM dsr_tasks WHERE kind <> 'expire-export'");
      expect(tasks).toHaveLength(50 * 3);
      expect(tasks.every((t: any) => Number(t.attempts) === 1 && t.state === 'done')).toBe(true);
      const byA = finishedTasks(a).length;
      const byB = finishedTasks(b).length;
      expect(byA + byB).toBe(150);
      if (a.config.store.kind === 'mysql') {
        expect(byA).toBeGreaterThan(0);
        expect(byB).toBeGreaterThan(0);
      }
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('cancels a request before anything ran, and not after', async () => {
    const idle = await startTestGateway({ env: { DSR_WORKERS: 'off' } });
    try {
      const r = (await idle.gql(TOKENS.OPERATOR, SUBMIT, { input: { type: 'ACCESS', subject: { appUserId: '3' }, verification: 'letter' } })).data.submitRequest;
      const cancelled = await idle.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { cancelRequest(id: $id, reason: "withdrawn by the person") { status tasks { status } } }', { id: r.id });
      expect(cancelled.data.cancelRequest.status).toBe('CANCELLED');
      expect(cancelled.data.cancelRequest.tasks.every((t: any) => t.status === 'SKIPPED')).toBe(true);
      const again = await idle.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { cancelRequest(id: $id, reason: "twice") { status } }', { id: r.id });
      expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    } finally {
      await idle.close();
    }
    const busy = await startTestGateway();
    try {
      const r = (await busy.gql(TOKENS.OPERATOR, SUBMIT, { input: { type: 'ACCESS', subject: { appUserId: '3' }, verification: 'letter' } })).data.submitRequest;
      for (let i = 0; i < 100; i++) {
        const s = (await busy.gql(TOKENS.OPERATOR, 'query($id: ID!) { request(id: $id) { status } }', { id: r.id })).data.request.status;
        if (s === 'COMPLETED') break;
        await new Promise((res) => setTimeout(res, 50));
      }
      const late = await busy.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { cancelRequest(id: $id, reason: "too late") { status } }', { id: r.id });
      expect(late.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    } finally {
      await busy.close();
    }
  });

  it('deletes an export file when it expires', async () => {
    const gw = await startTestGateway();
    try {
      const r = (await gw.gql(TOKENS.OPERATOR, SUBMIT, { input: { type: 'ACCESS', subject: { appUserId: '5' }, verification: 'letter' } })).data.submitRequest;
      let exp: any;
      for (let i = 0; i < 200 && !exp; i++) {
        exp = (await gw.gql(TOKENS.OPERATOR, 'query($id: ID!) { request(id: $id) { export { expiresAt } } }', { id: r.id })).data.request.export;
        if (!exp) await new Promise((res) => setTimeout(res, 50));
      }
      const file = path.join(gw.dataDir, 'exports', `${r.id}.zip`);
      expect(existsSync(file)).toBe(true);
      // the expiry is due now
      const past = new Date(Date.now() - 1000).toISOString();
      await gw.gateway.store.query("UPDATE dsr_tasks SET run_after = ? WHERE request_id = ? AND kind = 'expire-export'", [past, r.id]);
      await gw.gateway.store.query('UPDATE dsr_requests SET export_expires_at = ? WHERE id = ?', [past, r.id]);
      for (let i = 0; i < 100 && existsSync(file); i++) await new Promise((res) => setTimeout(res, 50));
      expect(existsSync(file)).toBe(false);
      expect(existsSync(path.join(gw.dataDir, 'staging', r.id))).toBe(false);
      const link = await gw.gql(TOKENS.OPERATOR, 'mutation($id: ID!) { createDownloadLink(requestId: $id) { url } }', { id: r.id });
      expect(link.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    } finally {
      await gw.close();
    }
  });
});
