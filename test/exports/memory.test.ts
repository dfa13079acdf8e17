/**
 * Memory stays flat: 300,000 records staged and packed while the live heap is sampled.
 * Each sample forces a full GC first, so it measures what is retained, not garbage waiting
 * to be collected (the forced GCs, every 250 ms or more, slow the run down somewhat). Prints the figures.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { APP_DESCRIPTOR } from '../../src/connectors/app/app.descriptor';
import type { Manifest } from '../../src/exports/manifest';
import { buildExportZip } from '../../src/exports/package';
import { StagingWriter } from '../../src/exports/staging';
import { forEachEntry, tempDir } from './support';

const RECORDS = 300_000;
const HEAP_GROWTH_LIMIT_MB = 60;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;

function sampler() {
  gc();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let peakRss = base.rss;
  let samples = 0;
  // the next sample waits at least 250 ms and four times what the last full GC took, so that
  // sampling never takes more than a fifth of the time, however large the process's heap is
  let timer: NodeJS.Timeout | undefined;
  const sample = () => {
    const t0 = performance.now();
    gc();
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
    samples += 1;
    timer = setTimeout(sample, Math.max(250, 4 * (performance.now() - t0)));
  };
  timer = setTimeout(sample, 250);
  return {
    stop() {
      clearTimeout(timer);
      return { baseHeap: base.heapUsed / MB, peakHeap: peakHeap / MB, heapGrowth: (peakHeap - base.heapUsed) / MB, baseRss: base.rss / MB, peakRss: peakRss / MB, samples };
    },
  };
}

const record = (i: number) => ({
  id: i,
  user_id: 7,
  content_item_id: i % 977,
  content_kind: i % 3 ? 'article' : 'video',
  content_title: `Säkerhetsvecka del ${i % 97}: "Så gör du", steg ${i % 13}`,
  viewed_at: new Date(Date.UTC(2024, 0, 1) + i * 61_000).toISOString(),
  duration_seconds: (i * 7) % 3600,
  device: i % 5 === 0 ? '=cmd|"/C calc"!A0' : 'ios',
});

describe('export memory', () => {
  it(`stages and packs ${RECORDS.toLocaleString('en')} records with flat memory`, async () => {
    const dir = await tempDir();
    try {
      const memory = sampler();
      const t0 = performance.now();
      const writer = new StagingWriter(join(dir.path, 'staging'), 'app');
      for (let i = 0; i < RECORDS; i++) await writer.write('activity', record(i));
      await writer.write('profile', { id: 7, first_name: 'Åsa' });
      const staged = await writer.close();
      const t1 = performance.now();
      const out = join(dir.path, 'export.zip');
      const result = await buildExportZip(
        {
          request: { id: 'big', type: 'ACCESS', subject: [{ kind: 'appUserId', value: '7', source: 'input' }], createdAt: new Date() },
          systems: [{ id: 'app', descriptor: APP_DESCRIPTOR, status: 'SUCCEEDED', staged }],
        },
        out,
      );
      const t2 = performance.now();
      const figures = memory.stop();

      const stagedBytes = (await stat(staged.datasets[0]!.file)).size;
      // Read the zip back as streams: every entry's digest matches the manifest.
      const digests = new Map<string, { sha256: string; size: number }>();
      let manifest: Manifest | undefined;
      await forEachEntry(out, async (name, content) => {
        const hash = createHash('sha256');
        let size = 0;
        const chunks: Buffer[] = [];
        for await (const chunk of content as AsyncIterable<Buffer>) {
          hash.update(chunk);
          size += chunk.length;
          if (name === 'manifest.json') chunks.push(chunk);
        }
        digests.set(name, { sha256: hash.digest('hex'), size });
        if (name === 'manifest.json') manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Manifest;
      });
      expect(manifest!.systems[0]!.datasets.find((d) => d.name === 'activity')!.records).toBe(RECORDS);
      for (const entry of manifest!.entries) expect(digests.get(entry.name)).toEqual({ sha256: entry.sha256, size: entry.size });

      console.log(
        [
          `export of ${RECORDS.toLocaleString('en')} records (${(stagedBytes / MB).toFixed(1)} MB NDJSON):`,
          `  staging ${((t1 - t0) / 1000).toFixed(2)} s, zip ${((t2 - t1) / 1000).toFixed(2)} s, zip size ${(result.sizeBytes / MB).toFixed(1)} MB`,
          `  json ${(digests.get('app/activity.json')!.size / MB).toFixed(1)} MB, csv ${(digests.get('app/activity.csv')!.size / MB).toFixed(1)} MB`,
          `  live heap (after GC) ${figures.baseHeap.toFixed(1)} -> peak ${figures.peakHeap.toFixed(1)} MB (growth ${figures.heapGrowth.toFixed(1)} MB, ${figures.samples} samples)`,
          `  rss ${figures.baseRss.toFixed(1)} -> peak ${figures.peakRss.toFixed(1)} MB`,
        ].join('\n'),
      );
      expect(figures.samples).toBeGreaterThanOrEqual(3);
      expect(figures.heapGrowth).toBeLessThan(HEAP_GROWTH_LIMIT_MB);
      // The staged data alone is far larger than the bound: holding it would fail the test.
      expect(stagedBytes / MB).toBeGreaterThan(HEAP_GROWTH_LIMIT_MB);
    } finally {
      await dir.remove();
    }
  });
});
