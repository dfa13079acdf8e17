import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateBuffer } from '../../src/exports/deflated';
import { ZipFileWriter } from '../../src/exports/zip';
import { buildExportZip, type ExportSystemInput } from '../../src/exports/package';
import type { Manifest } from '../../src/exports/manifest';
import { detectUploadType, sanitiseFileName, UnsupportedTypeError } from '../../src/services/upload-type';
import { sha256, tempDir, unzip } from './support';

const PDF = Buffer.from('%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n', 'latin1');
const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f', 'hex');

/** An Office Open XML file as Word or Excel writes it: a zip whose parts say what it is. */
async function office(file: string, kind: 'word' | 'xl' | 'plain'): Promise<string> {
  const zip = new ZipFileWriter(file, new Date());
  const parts: [string, string][] =
    kind === 'plain'
      ? [['notes.txt', 'hello']]
      : [
          ['[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'],
          ['_rels/.rels', '<?xml version="1.0"?><Relationships/>'],
          [kind === 'word' ? 'word/document.xml' : 'xl/workbook.xml', '<?xml version="1.0"?><document/>'],
        ];
  for (const [name, text] of parts) {
    const d = await deflateBuffer(Buffer.from(text, 'utf8'));
    await zip.add({ name, size: d.size, compressedSize: d.data.length, crc32: d.crc32, data: d.data });
  }
  await zip.finish();
  return file;
}

describe('uploaded files: type from the bytes, names generated', () => {
  let dir: { path: string; remove: () => Promise<void> };
  const at = async (name: string, bytes: Buffer | string) => {
    const file = join(dir.path, name);
    await writeFile(file, bytes);
    return file;
  };
  beforeAll(async () => {
    dir = await tempDir('dsr-uploads-');
  });
  afterAll(() => dir.remove());

  it('finds PDF, JPEG, zip, docx and xlsx by their signatures, whatever the name says', async () => {
    expect(await detectUploadType(await at('a', PDF), 'application/pdf', 'a.txt')).toEqual({ ext: 'pdf', mime: 'application/pdf' });
    expect(await detectUploadType(await at('b', JPEG), 'application/octet-stream', 'b.pdf')).toEqual({ ext: 'jpg', mime: 'image/jpeg' });
    expect((await detectUploadType(await office(join(dir.path, 'c'), 'word'), '', 'c')).ext).toBe('docx');
    expect((await detectUploadType(await office(join(dir.path, 'd'), 'xl'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'd')).ext).toBe('xlsx');
    expect(await detectUploadType(await office(join(dir.path, 'e'), 'plain'), 'application/zip', 'e.zip')).toEqual({ ext: 'zip', mime: 'application/zip' });
  });

  it('takes text as CSV, JSON or plain text by the declared type, or by the name when nothing is declared', async () => {
    const csv = await at('f', 'a;b\n1;2\n');
    expect((await detectUploadType(csv, 'text/csv; charset=utf-8', 'f')).ext).toBe('csv');
    expect((await detectUploadType(csv, 'application/octet-stream', 'lön.CSV')).ext).toBe('csv');
    expect((await detectUploadType(csv, '', 'notes')).ext).toBe('txt');
    const json = await at('g', '\uFEFF{"period": "2026-10", "netPay": 30660}');
    expect((await detectUploadType(json, 'application/json', 'g')).ext).toBe('json');
    expect((await detectUploadType(json, '', 'g.json')).ext).toBe('json');
    expect((await detectUploadType(await at('h', 'Åsa Öberg\tlön\r\n'), 'text/plain', 'h')).ext).toBe('txt');
  });

  it.each([
    ['a PDF declared as an image', PDF, 'image/png', /application\/pdf but was sent as image\/png/],
    ['a Windows program', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200)]), '', /not accepted/],
    ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'image/gif', /image\/gif, which is not accepted/],
    ['HTML', Buffer.from('<script>alert(1)</script>'), 'text/html', /text\/html is not accepted/],
    ['broken JSON', Buffer.from('{"a":'), 'application/json', /not valid JSON/],
    ['binary that is not UTF-8', Buffer.from([0xc3, 0x28, 0x41]), 'text/plain', /not one of the accepted types/],
    ['text with control characters', Buffer.from('a\u0000b'), 'text/csv', /not one of the accepted types/],
    ['a declared type that is no type', Buffer.from('a,b'), 'x"><img', /another type is not accepted/],
  ])('refuses %s', async (_what, bytes, declared, message) => {
    const file = await at('refused', bytes);
    await expect(detectUploadType(file, declared, 'file')).rejects.toThrow(UnsupportedTypeError);
    await expect(detectUploadType(file, declared, 'file')).rejects.toThrow(message);
  });

  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\hr\\Lönespec 2026.pdf', 'Lönespec 2026.pdf'],
    ['..', 'file'],
    ['.hidden', 'hidden'],
    ['a\u202egpj.exe', 'agpj.exe'],
    ['what?*|<>:".pdf', 'what_______.pdf'],
    ['', 'file'],
    [undefined, 'file'],
    ['x'.repeat(300), 'x'.repeat(150)],
  ])('keeps the uploaded name %j only as metadata: %j', (raw, clean) => {
    expect(sanitiseFileName(raw)).toBe(clean);
  });

  describe('in the zip', () => {
    const descriptor = {
      name: 'Hogia lön',
      location: 'EU (Sweden)',
      capabilities: ['ACCESS' as const, 'MANUAL_STEPS' as const],
      datasets: [{ name: 'employees', description: 'Personnel card', purposes: ['Pay'], legalBasis: 'CONTRACT' as const, retention: '2 years', fields: [{ name: 'name', category: 'identity.name', provenance: 'PROVIDED' as const }] }],
    };
    const system = async (entry = 'hogia-lon/upload-1.pdf'): Promise<ExportSystemInput> => ({
      id: 'hogia-lon',
      descriptor,
      status: 'SUCCEEDED',
      staged: { datasets: [] },
      manualStep: { owner: 'Payroll administrator (HR)', confirmedAt: '2026-11-20T10:00:00.000Z' },
      files: [
        { entry, file: await at('stored-pdf', PDF), originalName: 'Lönespec <2026>.pdf', contentType: 'application/pdf', sizeBytes: PDF.length, sha256: sha256(PDF), uploadedAt: '2026-11-20T09:00:00.000Z' },
      ],
    });
    const request = { id: 'req-1', type: 'ACCESS' as const, subject: [{ kind: 'email' as const, value: 'a@b.se', source: 'input' }], createdAt: new Date('2026-11-19T00:00:00Z') };

    it('adds each file under its system with its digest in the manifest and a line in index.html', async () => {
      const out = join(dir.path, 'zip', 'ok.zip');
      const result = await buildExportZip({ request, systems: [await system()] }, out);
      expect(result.entries).toEqual(['hogia-lon/upload-1.pdf', 'index.html', 'manifest.json']);
      const files = await unzip(out);
      expect(files.get('hogia-lon/upload-1.pdf')!.equals(PDF)).toBe(true);
      const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Manifest;
      expect(manifest.entries[0]).toEqual({ name: 'hogia-lon/upload-1.pdf', size: PDF.length, sha256: sha256(PDF) });
      expect(manifest.systems[0]!.files).toEqual([
        { entry: 'hogia-lon/upload-1.pdf', originalName: 'Lönespec <2026>.pdf', contentType: 'application/pdf', size: PDF.length, sha256: sha256(PDF), uploadedAt: '2026-11-20T09:00:00.000Z' },
      ]);
      expect(manifest.systems[0]!.manualStep).toEqual({ owner: 'Payroll administrator (HR)', confirmedAt: '2026-11-20T10:00:00.000Z' });
      const html = files.get('index.html')!.toString('utf8');
      expect(html).toContain('href="hogia-lon/upload-1.pdf"');
      expect(html).toContain('Lönespec &lt;2026&gt;.pdf');
      expect(html).not.toContain('<2026>');
      expect(html).toContain('Payroll administrator (HR)');
    });

    it('refuses an entry name it did not generate, and a file whose bytes changed after upload', async () => {
      for (const entry of ['hogia-lon/../x.pdf', 'office365/upload-1.pdf', 'hogia-lon/lönespec.pdf', 'hogia-lon/upload-1.exe']) {
        await expect(buildExportZip({ request, systems: [await system(entry)] }, join(dir.path, 'zip', 'bad.zip'))).rejects.toThrow(/is not one of hogia-lon's/);
      }
      const changed = await system();
      await writeFile(changed.files![0]!.file, Buffer.concat([PDF, Buffer.from('%% added later\n')]));
      await expect(buildExportZip({ request, systems: [changed] }, join(dir.path, 'zip', 'changed.zip'))).rejects.toThrow(/changed after it was uploaded/);
    });
  });
});
