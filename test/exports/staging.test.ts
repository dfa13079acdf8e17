import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { InvalidExportNameError } from '../../src/exports/names';
import { StagingWriter } from '../../src/exports/staging';
import { tempDir } from './support';

describe('StagingWriter', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(() => dir.remove());

  it('appends records as NDJSON per dataset, with counts and the keys seen', async () => {
    const w = new StagingWriter(dir.path, 'app');
    await w.write('profile', { id: 1, email: 'a@x.se', gone: undefined });
    await w.write('activity', { id: 10, title: 'Intro\nline two' });
    await w.write('activity', { id: 11, device: 'ios', nested: { a: [1] } });
    const result = await w.close();
    expect(result).toEqual({
      datasets: [
        { name: 'profile', file: join(dir.path, 'app', 'profile.ndjson'), count: 1, keys: ['id', 'email'] },
        { name: 'activity', file: join(dir.path, 'app', 'activity.ndjson'), count: 2, keys: ['id', 'title', 'device', 'nested'] },
      ],
    });
    expect(await readFile(join(dir.path, 'app', 'activity.ndjson'), 'utf8')).toBe(
      '{"id":10,"title":"Intro\\nline two"}\n{"id":11,"device":"ios","nested":{"a":[1]}}\n',
    );
  });

  it('waits for drain under backpressure and loses nothing', async () => {
    const w = new StagingWriter(dir.path, 'app');
    const big = 'x'.repeat(20_000); // each write exceeds the 16 KiB highWaterMark
    for (let i = 0; i < 200; i++) await w.write('answers', { i, big });
    const [answers] = (await w.close()).datasets;
    expect(answers!.count).toBe(200);
    const lines = (await readFile(answers!.file, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(200);
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual([...Array(200).keys()]);
  });

  it('keeps order for writes that were not awaited one by one', async () => {
    const w = new StagingWriter(dir.path, 'app');
    await Promise.all(Array.from({ length: 50 }, (_, i) => w.write('activity', { i })));
    const [activity] = (await w.close()).datasets;
    const lines = (await readFile(activity!.file, 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual([...Array(50).keys()]);
  });

  it('starts afresh when the same system is staged again (a retried task)', async () => {
    const first = new StagingWriter(dir.path, 'app');
    await first.write('activity', { n: 1 });
    await first.write('activity', { n: 2 });
    await first.close();
    const again = new StagingWriter(dir.path, 'app');
    await again.write('activity', { n: 3 });
    const [activity] = (await again.close()).datasets;
    expect(await readFile(activity!.file, 'utf8')).toBe('{"n":3}\n');
  });

  it.each(['../x', 'x/../../y', '..', '', 'Profile', 'a b', 'a.json', '-x', 'a\n', 'x'.repeat(65)])(
    'rejects the dataset name %j and writes nothing',
    async (name) => {
      const w = new StagingWriter(dir.path, 'app');
      await expect(w.write(name, { a: 1 })).rejects.toThrow(InvalidExportNameError);
      await w.close();
      expect(await readdir(dir.path, { recursive: true })).toEqual([]);
    },
  );

  it.each(['../etc', 'App', 'a/b', ''])('rejects the system id %j', (id) => {
    expect(() => new StagingWriter(dir.path, id)).toThrow(InvalidExportNameError);
  });

  it('rejects a record that is not an object, and writes after close', async () => {
    const w = new StagingWriter(dir.path, 'app');
    await expect(w.write('profile', [1, 2] as never)).rejects.toThrow(/plain object/);
    await expect(w.write('profile', null as never)).rejects.toThrow(/plain object/);
    await w.close();
    await expect(w.write('profile', { a: 1 })).rejects.toThrow(/closed/);
  });

  it('reports disk errors instead of hanging', async () => {
    await writeFile(join(dir.path, 'file-not-dir'), 'x');
    const w = new StagingWriter(join(dir.path, 'file-not-dir'), 'app');
    await expect(w.write('profile', { a: 1 })).rejects.toThrow(/ENOTDIR|EEXIST/);

    await mkdir(join(dir.path, 'app', 'profile.ndjson'), { recursive: true });
    const v = new StagingWriter(dir.path, 'app');
    // The open fails after the first write was buffered: the next write or close reports it.
    const outcome = (async () => {
      for (let i = 0; i < 1000; i++) await v.write('profile', { i, pad: 'x'.repeat(100) });
      await v.close();
    })();
    await expect(outcome).rejects.toThrow(/EISDIR/);
  });
});

describe('StagingWriter staging finished entries', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(() => dir.remove());

  const inflate = async (file: string) => inflateRawSync(await readFile(file)).toString('utf8');

  it('writes the JSON array and the CSV entries, deflated, with their digests, counts and keys', async () => {
    const w = new StagingWriter(dir.path, 'app', { entries: () => ({ columns: ['id', 'title'], pick: null }) });
    await w.writeMany('activity', [{ id: 10, title: '=cmd, "x"', gone: undefined }, { id: 11, title: 'Intro\nline two', extra: [1] }]);
    await w.write('activity', { id: -3 });
    const [activity] = (await w.close()).datasets;
    expect(activity).toMatchObject({ name: 'activity', count: 3, keys: ['id', 'title', 'extra'], file: join(dir.path, 'app', 'activity.json.deflate') });
    const json = await inflate(activity!.entries!.json.file);
    expect(json).toBe('[\n{"id":10,"title":"=cmd, \\"x\\""},\n{"id":11,"title":"Intro\\nline two","extra":[1]},\n{"id":-3}\n]\n');
    const csv = await inflate(activity!.entries!.csv.file);
    expect(csv).toBe('id,title\r\n10,"\'=cmd, ""x"""\r\n11,"Intro\nline two"\r\n\'-3,\r\n');
    expect(activity!.entries!.json).toMatchObject({ size: Buffer.byteLength(json), sha256: createHash('sha256').update(json).digest('hex') });
    expect(activity!.entries!.csv.size).toBe(Buffer.byteLength(csv));
    expect(activity!.entries).toMatchObject({ columns: ['id', 'title'], pick: null });
  });

  it('keeps only the picked fields in the JSON records, in their own order', async () => {
    const w = new StagingWriter(dir.path, 'app', { entries: () => ({ columns: ['b', 'a'], pick: ['b', 'a'] }) });
    await w.write('profile', { a: 1, secret: 's', b: 'x' });
    const [profile] = (await w.close()).datasets;
    expect(await inflate(profile!.entries!.json.file)).toBe('[\n{"a":1,"b":"x"}\n]\n');
    expect(await inflate(profile!.entries!.csv.file)).toBe('b,a\r\nx,1\r\n');
    expect(profile!.keys).toEqual(['a', 'secret', 'b']);
  });

  it('rejects a record that is not an object, and an invalid dataset name', async () => {
    const w = new StagingWriter(dir.path, 'app', { entries: () => ({ columns: [], pick: null }) });
    await expect(w.write('profile', [1] as never)).rejects.toThrow(/plain object/);
    await expect(w.write('../x', { a: 1 })).rejects.toThrow(InvalidExportNameError);
    await w.abort();
  });
});
