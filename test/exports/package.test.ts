import { parse } from 'csv-parse/sync';
import { execFileSync } from 'node:child_process';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_DESCRIPTOR } from '../../src/connectors/app/app.descriptor';
import type { Identifier, Row } from '../../src/connectors/connector';
import type { Manifest } from '../../src/exports/manifest';
import { InvalidExportNameError } from '../../src/exports/names';
import { buildExportZip, type ExportInput, type ExportSystemInput, plannedEntryShape } from '../../src/exports/package';
import { StagingWriter } from '../../src/exports/staging';
import { BILLING_DESCRIPTOR, CRM_DESCRIPTOR, sha256, stage, tempDir, unzip } from './support';

const SUBJECT: Identifier[] = [
  { kind: 'email', value: 'asa.oberg@northwind.example', source: 'input' },
  { kind: 'appUserId', value: '7', source: 'app' },
];
const CREATED = new Date('2025-03-01T09:00:00.000Z');
const GENERATED = new Date('2025-03-02T10:00:00.000Z');

const DANGEROUS = ['=HYPERLINK("http://x","y")', '+1', '-2', '@x', '\tTab', '\rCR', '\nLF'];

const profile: Row = {
  id: 7,
  first_name: 'Åsa',
  last_name: 'Öberg',
  email: 'asa.oberg@northwind.example',
  email_normalized: 'asa.oberg@northwind.example',
  phone: '+46701234501',
  organisation_id: 3,
  organisation_name: 'Northwind, "Nordic" AB',
  organisation_contract_start: '2024-01-01',
  organisation_contract_end: null,
  marketing_consent: true,
  processing_restricted: false,
  created_at: '2024-01-05T08:00:00.000Z',
  last_login_at: '2025-02-28T17:30:00.000Z',
};

const answers: Row[] = [
  ...DANGEROUS.map((text, i) => ({
    id: 100 + i,
    user_id: 7,
    assignment_id: 50,
    mission_id: 5,
    mission_title: 'Safety week',
    answer_text: text,
    submitted_at: '2025-01-10T10:00:00.000Z',
    score: i,
  })),
  {
    id: 200,
    user_id: 7,
    mission_title: 'Unicode, commas, "quotes"\nand newlines',
    answer_text: 'Jag tycker att 日本語 🎉 är bra,\r\nmen "citat" är svåra',
    score: -2,
    // Keys the descriptor does not declare: CSV adds them after the declared fields, sorted.
    zz_note: { nested: ['a', { b: null }] },
    aa_flag: '=1+1',
  },
  { id: 201, user_id: 7, answer_text: '../../etc/passwd', mission_title: '<script>alert(1)</script>' },
];

const activity: Row[] = Array.from({ length: 25 }, (_, i) => ({
  id: 1000 + i,
  user_id: 7,
  content_item_id: i % 4,
  content_kind: 'article',
  content_title: `Article ${i}`,
  viewed_at: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
  duration_seconds: 30 + i,
  device: i % 2 ? 'ios' : 'web',
}));

const crmContacts: Row[] = [{ name: 'Åsa Öberg', email: 'asa.oberg@northwind.example', last_contacted_at: '2025-02-01', lead_score: 87 }];
const crmNewsletter: Row[] = [{ email: 'asa.oberg@northwind.example', subscribed_at: '2024-05-01' }];
const crmInvoices: Row[] = [{ number: 'F-1001', amount: 1250 }];
const crmAudiences: Row[] = [{ audience: 'IT decision makers', added_at: '2024-06-01' }];

const FAILURE = 'Timed out after 30 s <upstream> & gave up';

describe('buildExportZip', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let systems: ExportSystemInput[];

  beforeAll(async () => {
    dir = await tempDir();
    const staging = join(dir.path, 'staging');
    systems = [
      {
        id: 'app',
        descriptor: APP_DESCRIPTOR,
        status: 'SUCCEEDED',
        staged: await stage(staging, 'app', { profile: [profile], answers, activity }),
      },
      {
        id: 'crm',
        descriptor: CRM_DESCRIPTOR,
        status: 'SUCCEEDED',
        staged: await stage(staging, 'crm', { contacts: crmContacts, newsletter: crmNewsletter, invoices: crmInvoices, audiences: crmAudiences }),
      },
      { id: 'billing', descriptor: BILLING_DESCRIPTOR, status: 'FAILED', error: FAILURE },
      { id: 'sendgrid', descriptor: { ...BILLING_DESCRIPTOR, name: 'SendGrid' }, status: 'NOT_FOUND' },
    ];
  });
  afterAll(() => dir.remove());

  const input = (type: 'ACCESS' | 'PORTABILITY'): ExportInput => ({
    request: { id: `req-${type.toLowerCase()}`, type, subject: SUBJECT, createdAt: CREATED },
    systems,
  });

  async function build(type: 'ACCESS' | 'PORTABILITY') {
    const out = join(dir.path, 'out', `${type}.zip`);
    const result = await buildExportZip(input(type), out, { generatedAt: GENERATED });
    const files = await unzip(out);
    const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8')) as Manifest;
    return { out, result, files, manifest };
  }

  describe('ACCESS', () => {
    let built: Awaited<ReturnType<typeof build>>;
    beforeAll(async () => {
      built = await build('ACCESS');
    });

    it('writes the entries in order, manifest last, and returns the zip digest', async () => {
      const { out, result, files } = built;
      const expected = [
        'app/profile.json',
        'app/profile.csv',
        'app/activity.json',
        'app/activity.csv',
        'app/answers.json',
        'app/answers.csv',
        'crm/contacts.json',
        'crm/contacts.csv',
        'crm/newsletter.json',
        'crm/newsletter.csv',
        'crm/invoices.json',
        'crm/invoices.csv',
        'crm/audiences.json',
        'crm/audiences.csv',
        'index.html',
        'manifest.json',
      ];
      expect(result.entries).toEqual(expected);
      expect([...files.keys()]).toEqual(expected);
      const zip = await readFile(out);
      expect(result.sha256).toBe(sha256(zip));
      expect(result.sizeBytes).toBe(zip.length);
      expect((await stat(out)).size).toBe(zip.length);
      expect(await readdir(join(dir.path, 'out'))).not.toContain('ACCESS.zip.part');
    });

    it('lists the sha256 and size of every other entry, matching the unpacked bytes', () => {
      const { files, manifest } = built;
      expect(manifest.entries.map((e) => e.name)).toEqual([...files.keys()].filter((n) => n !== 'manifest.json'));
      for (const entry of manifest.entries) {
        const data = files.get(entry.name)!;
        expect({ name: entry.name, sha256: entry.sha256, size: entry.size }).toEqual({ name: entry.name, sha256: sha256(data), size: data.length });
      }
    });

    it('holds the request, the systems with status, error and record counts', () => {
      const { manifest } = built;
      expect(manifest.format).toBe('dsr-gateway.export-manifest/1');
      expect(manifest.request).toEqual({ id: 'req-access', type: 'ACCESS', createdAt: CREATED.toISOString(), subjectIdentifiers: SUBJECT });
      expect(manifest.generatedAt).toBe(GENERATED.toISOString());
      expect(manifest.portability).toBeUndefined();
      expect(manifest.systems.map((s) => [s.id, s.status, s.error])).toEqual([
        ['app', 'SUCCEEDED', null],
        ['crm', 'SUCCEEDED', null],
        ['billing', 'FAILED', FAILURE],
        ['sendgrid', 'NOT_FOUND', null],
      ]);
      const app = manifest.systems[0]!;
      expect(app.datasets.map((d) => [d.name, d.records, d.entries])).toEqual([
        ['profile', 1, ['app/profile.json', 'app/profile.csv']],
        ['activity', 25, ['app/activity.json', 'app/activity.csv']],
        ['enrolments', 0, []],
        ['assignments', 0, []],
        ['answers', answers.length, ['app/answers.json', 'app/answers.csv']],
      ]);
      expect(manifest.systems[2]!.datasets).toEqual([]);
      expect(manifest.systems[3]!.datasets.map((d) => d.records)).toEqual([0]);
    });

    it('holds the Art. 15 information per system', () => {
      const [app, crm, billing] = built.manifest.systems;
      expect(app!.art15).toMatchObject({
        system: 'app',
        systemName: APP_DESCRIPTOR.name,
        recipients: [APP_DESCRIPTOR.processor],
        retention: ["At most 1 year after the employer's contract with the company ends"],
        location: APP_DESCRIPTOR.location,
        transferSafeguard: APP_DESCRIPTOR.transferSafeguard,
        automatedDecisionMaking: 'none',
      });
      expect(app!.art15.purposes).toContain('Issue course certificates');
      expect(app!.art15.categories).toEqual(expect.arrayContaining(['contact.email', 'user.behavior.viewed', 'user.assessment.score']));
      expect(app!.art15.sources.map((s) => [s.provenance, s.en])).toEqual([
        ['PROVIDED', 'you'],
        ['OBSERVED', 'your use of the service'],
        ['DERIVED', 'derived by the company from other data'],
      ]);
      expect(app!.art15.rights.map((r) => r.right)).toEqual(['ACCESS', 'RECTIFICATION', 'ERASURE', 'RESTRICTION', 'PORTABILITY', 'OBJECTION']);
      for (const r of app!.art15.rights) expect(r.sv.length).toBeGreaterThan(20);
      expect(app!.art15.rightToComplain).toMatchObject({
        name: 'Integritetsskyddsmyndigheten',
        abbreviation: 'IMY',
        website: 'www.imy.se',
        postalAddress: 'Box 8114, 104 20 Stockholm',
      });
      expect(crm!.art15.automatedDecisionMaking).toBe(CRM_DESCRIPTOR.automatedDecisionMaking);
      expect(billing!.art15).toMatchObject({ recipients: [], transferSafeguard: null, automatedDecisionMaking: 'none' });
    });

    it('gives each dataset as JSON equal to the staged records', () => {
      const { files } = built;
      expect(JSON.parse(files.get('app/profile.json')!.toString('utf8'))).toEqual([profile]);
      expect(JSON.parse(files.get('app/answers.json')!.toString('utf8'))).toEqual(answers);
      expect(JSON.parse(files.get('app/activity.json')!.toString('utf8'))).toEqual(activity);
      expect(JSON.parse(files.get('crm/invoices.json')!.toString('utf8'))).toEqual(crmInvoices);
    });

    it('gives each dataset as CSV: declared fields, then other keys sorted; dangerous cells neutralised', () => {
      const { files } = built;
      const text = files.get('app/answers.csv')!.toString('utf8');
      expect(text).toMatch(/\r\n$/);
      const rows = parse(text) as string[][];
      const header = rows[0]!;
      expect(header).toEqual([...APP_DESCRIPTOR.datasets.find((d) => d.name === 'answers')!.fields.map((f) => f.name), 'aa_flag', 'zz_note']);
      const cells = rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
      expect(cells).toHaveLength(answers.length);
      expect(cells.slice(0, DANGEROUS.length).map((c) => c.answer_text)).toEqual(DANGEROUS.map((d) => `'${d}`));
      expect(cells.find((c) => c.answer_text === `'=HYPERLINK("http://x","y")`)).toBeDefined();
      // No cell of the file starts with a formula character any more.
      for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r\n]/);
      const odd = cells[DANGEROUS.length]!;
      expect(odd).toMatchObject({
        id: '200',
        mission_title: 'Unicode, commas, "quotes"\nand newlines',
        answer_text: 'Jag tycker att 日本語 🎉 är bra,\r\nmen "citat" är svåra',
        score: "'-2",
        aa_flag: "'=1+1",
        zz_note: '{"nested":["a",{"b":null}]}',
        assignment_id: '',
      });
      const profileRows = parse(files.get('app/profile.csv')!.toString('utf8')) as string[][];
      expect(profileRows[1]![profileRows[0]!.indexOf('organisation_contract_end')]).toBe('');
      expect(profileRows[1]![profileRows[0]!.indexOf('organisation_name')]).toBe('Northwind, "Nordic" AB');
    });

    it('index.html is a self-contained, escaped summary with the failed system and its error', () => {
      const html = built.files.get('index.html')!.toString('utf8');
      expect(html).toMatch(/^<!DOCTYPE html>/);
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toMatch(/\bsrc\s*=/i);
      expect(html).not.toMatch(/<link\b/i);
      expect(html).not.toMatch(/url\(/i);
      expect(html).not.toMatch(/@import/i);
      const hrefs = [...html.matchAll(/href\s*=\s*"([^"]*)"/gi)].map((m) => m[1]!);
      expect(hrefs.length).toBeGreaterThan(10);
      for (const href of hrefs) {
        expect(href).not.toMatch(/^(https?:)?\/\//i);
        // In-page anchors, or an entry of this zip.
        if (!href.startsWith('#')) expect(built.result.entries).toContain(href);
        else expect(html).toContain(`id="${href.slice(1)}"`);
      }
      expect(html).toContain('Kopia av dina personuppgifter');
      expect(html).toContain('Copy of your personal data');
      expect(html).toContain('Innehåll');
      expect(html).toContain('Dina rättigheter');
      expect(html).toContain('Integritetsskyddsmyndigheten');
      expect(html).toContain('Box 8114, 104 20 Stockholm');
      expect(html).toContain('href="#dataset-app-answers"');
      expect(html).toContain('href="app/answers.csv"');
      expect(html).toContain('Kunde inte hämtas');
      expect(html).toContain('Timed out after 30 s &lt;upstream&gt; &amp; gave up');
      expect(html).toContain(CRM_DESCRIPTOR.automatedDecisionMaking);
      expect(html).toContain('asa.oberg@northwind.example');
      expect(html).not.toContain('<upstream>');
    });
  });

  describe('PORTABILITY', () => {
    let built: Awaited<ReturnType<typeof build>>;
    beforeAll(async () => {
      built = await build('PORTABILITY');
    });

    const appFields = (dataset: string, provenances: string[]) =>
      APP_DESCRIPTOR.datasets.find((d) => d.name === dataset)!.fields.filter((f) => provenances.includes(f.provenance)).map((f) => f.name);

    it('leaves out DERIVED fields and datasets on a legal obligation or legitimate interest', () => {
      const { files, result } = built;
      expect(result.entries).toEqual([
        'app/profile.json',
        'app/profile.csv',
        'app/activity.json',
        'app/activity.csv',
        'app/answers.json',
        'app/answers.csv',
        'crm/contacts.json',
        'crm/contacts.csv',
        'crm/newsletter.json',
        'crm/newsletter.csv',
        'index.html',
        'manifest.json',
      ]);
      const kept = appFields('profile', ['PROVIDED', 'OBSERVED']);
      expect(kept).not.toContain('email_normalized');
      const [profileJson] = JSON.parse(files.get('app/profile.json')!.toString('utf8')) as Row[];
      expect(Object.keys(profileJson!)).toEqual(kept);
      expect(profileJson).toEqual(Object.fromEntries(kept.map((k) => [k, profile[k]])));
      const answerJson = JSON.parse(files.get('app/answers.json')!.toString('utf8')) as Row[];
      for (const record of answerJson) {
        expect(record).not.toHaveProperty('score');
        expect(record).not.toHaveProperty('user_id');
        expect(record).not.toHaveProperty('zz_note'); // undeclared: provenance unknown
      }
      expect(answerJson[0]).toEqual({ assignment_id: 50, mission_id: 5, mission_title: 'Safety week', answer_text: DANGEROUS[0], submitted_at: '2025-01-10T10:00:00.000Z' });
      const csv = parse(files.get('app/answers.csv')!.toString('utf8')) as string[][];
      expect(csv[0]).toEqual(appFields('answers', ['PROVIDED', 'OBSERVED']));
      expect(csv[1]).toContain(`'=HYPERLINK("http://x","y")`);
      const contacts = parse(files.get('crm/contacts.csv')!.toString('utf8')) as string[][];
      expect(contacts).toEqual([
        ['name', 'email', 'last_contacted_at'],
        ['Åsa Öberg', 'asa.oberg@northwind.example', '2025-02-01'],
      ]);
    });

    it('says in the manifest what was included and left out', () => {
      const { manifest } = built;
      expect(manifest.portability!.statement.en).toMatch(/provided .* observed/);
      expect(manifest.portability!.statement.sv).toMatch(/samtycke/);
      const crm = manifest.systems.find((s) => s.id === 'crm')!;
      expect(crm.portability!.leftOut.datasets).toEqual([
        { dataset: 'invoices', reason: 'LEGAL_BASIS', legalBasis: 'LEGAL_OBLIGATION' },
        { dataset: 'audiences', reason: 'LEGAL_BASIS', legalBasis: 'LEGITIMATE_INTEREST' },
      ]);
      expect(crm.portability!.leftOut.fields).toEqual([{ dataset: 'contacts', field: 'lead_score', reason: 'PROVENANCE', provenance: 'DERIVED' }]);
      expect(crm.portability!.included).toEqual([
        { dataset: 'contacts', legalBasis: 'CONTRACT', fields: ['name', 'email', 'last_contacted_at'] },
        { dataset: 'newsletter', legalBasis: 'CONSENT', fields: ['email', 'subscribed_at'] },
      ]);
      expect(crm.datasets.find((d) => d.name === 'invoices')).toEqual({
        name: 'invoices',
        description: 'Invoices to the customer',
        records: 1,
        entries: [],
        leftOut: 'LEGAL_BASIS',
      });
      const app = manifest.systems.find((s) => s.id === 'app')!;
      expect(app.portability!.leftOut.fields).toEqual(
        expect.arrayContaining([
          { dataset: 'profile', field: 'email_normalized', reason: 'PROVENANCE', provenance: 'DERIVED' },
          { dataset: 'answers', field: 'score', reason: 'PROVENANCE', provenance: 'DERIVED' },
          { dataset: 'answers', field: 'zz_note', reason: 'UNDECLARED' },
        ]),
      );
      for (const entry of manifest.entries) expect(entry.sha256).toBe(sha256(built.files.get(entry.name)!));
      const html = built.files.get('index.html')!.toString('utf8');
      expect(html).toContain('Dataportabilitet');
      expect(html).toContain('invoices (annan rättslig grund än samtycke eller avtal / legal basis other than consent or contract)');
      expect(html).toContain('contacts.lead_score');
    });
  });

  describe('datasets staged as finished entries', () => {
    /** The same systems, staged as deflated entries in the shape planned for `type`. */
    async function stagedAsEntries(type: 'ACCESS' | 'PORTABILITY'): Promise<ExportSystemInput[]> {
      const staging = join(dir.path, `entries-${type}`);
      const stageEntries = async (system: string, descriptor: ExportSystemInput['descriptor'], datasets: Record<string, Row[]>) => {
        const writer = new StagingWriter(staging, system, { entries: plannedEntryShape(descriptor, type) });
        for (const [name, records] of Object.entries(datasets)) {
          // in batches of two, as a connector hands them over
          for (let i = 0; i < records.length; i += 2) await writer.writeMany(name, records.slice(i, i + 2));
        }
        return writer.close();
      };
      return [
        { ...systems[0]!, staged: await stageEntries('app', APP_DESCRIPTOR, { profile: [profile], answers, activity }) },
        { ...systems[1]!, staged: await stageEntries('crm', CRM_DESCRIPTOR, { contacts: crmContacts, newsletter: crmNewsletter, invoices: crmInvoices, audiences: crmAudiences }) },
        systems[2]!,
        systems[3]!,
      ];
    }

    it.each(['ACCESS', 'PORTABILITY'] as const)('give a %s zip with exactly the entries of records staged as NDJSON', async (type) => {
      const fromNdjson = await build(type);
      const out = join(dir.path, 'out', `${type}-entries.zip`);
      const result = await buildExportZip({ ...input(type), systems: await stagedAsEntries(type) }, out, { generatedAt: GENERATED });
      const files = await unzip(out);
      expect(result.entries).toEqual(fromNdjson.result.entries);
      expect([...files.keys()]).toEqual([...fromNdjson.files.keys()]);
      for (const [name, content] of files) expect(`${name} ${sha256(content)}`).toBe(`${name} ${sha256(fromNdjson.files.get(name)!)}`);
      expect(execFileSync('unzip', ['-tq', out], { encoding: 'utf8' })).toMatch(/No errors detected/);
    });

    it('rebuilds the CSV from the staged JSON entry when the records hold undeclared fields', async () => {
      const [app] = await stagedAsEntries('ACCESS');
      const answersStaged = app!.staged!.datasets.find((d) => d.name === 'answers')!;
      // staged with the declared columns only; the zip's CSV has the undeclared keys too
      expect(answersStaged.entries!.columns).not.toContain('zz_note');
      const out = join(dir.path, 'out', 'rebuilt.zip');
      await buildExportZip({ ...input('ACCESS'), systems: [app!] }, out, { generatedAt: GENERATED });
      const csv = (await unzip(out)).get('app/answers.csv')!.toString('utf8');
      expect(csv.split('\r\n')[0]!.endsWith(',aa_flag,zz_note')).toBe(true);
      expect(await readdir(join(dir.path, 'out'))).not.toContain('rebuilt.zip.entries');
    });
  });

  describe('entry names and failures', () => {
    it('rejects a staged dataset name that is not an id, and leaves no file behind', async () => {
      const out = join(dir.path, 'bad', 'x.zip');
      const bad: ExportInput = {
        request: { id: 'r', type: 'ACCESS', subject: SUBJECT, createdAt: CREATED },
        systems: [{ id: 'app', descriptor: APP_DESCRIPTOR, status: 'SUCCEEDED', staged: { datasets: [{ name: '../x', file: systems[0]!.staged!.datasets[0]!.file, count: 1, keys: [] }] } }],
      };
      await expect(buildExportZip(bad, out)).rejects.toThrow(InvalidExportNameError);
      await expect(buildExportZip({ ...bad, systems: [{ ...bad.systems[0]!, id: '../app', staged: undefined }] }, out)).rejects.toThrow(InvalidExportNameError);
      await expect(stat(out)).rejects.toThrow(/ENOENT/);
    });

    it('does not export the partial data of a FAILED system', async () => {
      const out = join(dir.path, 'failed.zip');
      const result = await buildExportZip(
        { request: { id: 'r', type: 'ACCESS', subject: SUBJECT, createdAt: CREATED }, systems: [{ ...systems[0]!, status: 'FAILED', error: 'Stopped' }] },
        out,
      );
      expect(result.entries).toEqual(['index.html', 'manifest.json']);
      const manifest = JSON.parse((await unzip(out)).get('manifest.json')!.toString('utf8')) as Manifest;
      expect(manifest.systems[0]).toMatchObject({ status: 'FAILED', error: 'Stopped', datasets: [] });
    });

    it('fails on a corrupt staging file and removes the partial zip', async () => {
      const file = join(dir.path, 'corrupt.ndjson');
      await writeFile(file, '{"id":1}\n{"id": 2, "secret": "abc"\n');
      const out = join(dir.path, 'corrupt', 'x.zip');
      const err = await buildExportZip(
        {
          request: { id: 'r', type: 'ACCESS', subject: SUBJECT, createdAt: CREATED },
          systems: [{ id: 'app', descriptor: APP_DESCRIPTOR, status: 'SUCCEEDED', staged: { datasets: [{ name: 'profile', file, count: 2, keys: ['id'] }] } }],
        },
        out,
      ).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toBe('staged NDJSON line 2 is not valid JSON');
      expect(await readdir(join(dir.path, 'corrupt'))).toEqual([]);
    });

    it('fails on a missing staging file and removes the partial zip', async () => {
      const out = join(dir.path, 'missing', 'x.zip');
      await expect(
        buildExportZip(
          {
            request: { id: 'r', type: 'ACCESS', subject: SUBJECT, createdAt: CREATED },
            systems: [{ id: 'app', descriptor: APP_DESCRIPTOR, status: 'SUCCEEDED', staged: { datasets: [{ name: 'profile', file: join(dir.path, 'nope.ndjson'), count: 1, keys: [] }] } }],
          },
          out,
        ),
      ).rejects.toThrow(/ENOENT/);
      expect(await readdir(join(dir.path, 'missing'))).toEqual([]);
    });

    it('stops when aborted and removes the partial zip', async () => {
      const out = join(dir.path, 'aborted', 'x.zip');
      const controller = new AbortController();
      const building = buildExportZip(input('ACCESS'), out, { signal: controller.signal });
      controller.abort(new Error('request cancelled'));
      await expect(building).rejects.toThrow('request cancelled');
      expect(await readdir(join(dir.path, 'aborted'))).toEqual([]);
    });
  });
});
