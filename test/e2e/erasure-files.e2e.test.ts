import { existsSync, readFileSync } from 'node:fs';
import { parseDatabaseUrl } from '../../src/db/sql-datasource';
import { TEST_DATABASE } from '../support/databases';
import { startTestGateway, TOKENS } from '../support/gateway';

/** Erased text must not survive in the bytes of the embedded SQLite files, write-ahead logs included. */
const sqliteOnly = TEST_DATABASE === 'sqlite' ? describe : describe.skip;

sqliteOnly('erasure leaves no trace in the embedded database files', () => {
  it('scans the gateway store and the app database for the erased email', async () => {
    const gw = await startTestGateway();
    try {
      const email = 'sofia.berg@fabrikam.example';
      const access = await gw.gql(TOKENS.OPERATOR, 'mutation { submitRequest(input: {type: RESTRICTION, subject: {email: "sofia.berg@fabrikam.example"}, verification: "letter"}) { id } }');
      expect(access.errors).toBeUndefined();
      const submitted = await gw.gql(TOKENS.OPERATOR, 'mutation { submitRequest(input: {type: ERASURE, subject: {email: "Sofia.Berg@Fabrikam.example"}, verification: "letter"}) { id } }');
      const id = submitted.data.submitRequest.id;
      await gw.gql(TOKENS.APPROVER, 'mutation($id: ID!) { approveRequest(id: $id) { status } }', { id });
      for (let i = 0; i < 300; i++) {
        const r = (await gw.gql(TOKENS.OPERATOR, 'query($id: ID!) { request(id: $id) { status } }', { id })).data.request;
        if (r.status === 'COMPLETED') break;
        await new Promise((res) => setTimeout(res, 50));
      }
      const files = [parseDatabaseUrl(gw.storeUrl), parseDatabaseUrl(gw.appUrl)].flatMap((l) => (l.kind === 'sqlite' ? [l.path, `${l.path}-wal`] : []));
      expect(files.length).toBe(4);
      // the earlier restriction request named her too: the erasure scrubbed it as well
      const stillNamed = (file: string) => existsSync(file) && readFileSync(file).toString('latin1').toLowerCase().includes(email);
      const store = parseDatabaseUrl(gw.storeUrl) as { path: string };
      for (const file of files) expect({ file, named: stillNamed(file) }).toEqual({ file, named: false });
      const earlier = await gw.gql(TOKENS.OPERATOR, 'query($id: ID!) { request(id: $id) { subject { kind value } } }', { id: access.data.submitRequest.id });
      expect(earlier.data.request.subject.length).toBeGreaterThan(0);
      expect(earlier.data.request.subject.every((i: any) => i.value === '<erased>')).toBe(true);
      expect(readFileSync(store.path).length).toBeGreaterThan(0);
    } finally {
      await gw.close();
    }
  });
});
