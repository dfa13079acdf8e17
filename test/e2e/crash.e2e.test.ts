import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sha256, unzip } from '../exports/support';
import { EXTRA_EVENTS, exportInFlight } from '../support/export-in-flight';

/** A killed gateway process loses nothing: the next one takes the export over and finishes it. */
describe('a gateway killed in the middle of an export', () => {
  const fx = exportInFlight('crash');
  const start = () => fx.start({ DSR_LEASE_MS: '1500' });
  const REQUEST = 'query($id: ID!) { request(id: $id) { status progress tasks { system status attempts recordsExported } export { sha256 } } }';

  it('shows progress, is killed with SIGKILL, and the next process completes the request with a valid zip', async () => {
    const first = start();
    const url = await first.url;
    const id = await fx.submitAccess(url);
    // the app's export under way and its progress showing: the process is killed
    expect(await fx.untilExporting(url, id)).toBeLessThan(EXTRA_EVENTS);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const second = start();
    try {
      const url2 = await second.url;
      const r = await fx.untilCompleted(url2, id, REQUEST);
      const task = fx.appTask(r);
      expect(task.attempts).toBe(2);
      expect(task.recordsExported).toBeGreaterThan(EXTRA_EVENTS);

      const link = await fx.gql(url2, 'mutation($id: ID!) { createDownloadLink(requestId: $id) { url } }', { id });
      const zip = Buffer.from(await (await fetch(link.createDownloadLink.url)).arrayBuffer());
      expect(sha256(zip)).toBe(r.export.sha256);
      const file = path.join(fx.dir, 'downloaded.zip');
      writeFileSync(file, zip);
      const entries = await unzip(file);
      const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
      for (const e of manifest.entries) expect(sha256(entries.get(e.name)!)).toBe(e.sha256);
      const activity = JSON.parse(entries.get('app/activity.json')!.toString('utf8')) as unknown[];
      expect(activity.length).toBeGreaterThan(EXTRA_EVENTS);
    } finally {
      second.proc.kill('SIGTERM');
      await second.exited;
    }
  });
});
