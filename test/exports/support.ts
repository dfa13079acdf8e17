/** Helpers for the export tests: read a zip back, stage records, and a few descriptors. */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import * as yauzl from 'yauzl';
import type { Row } from '../../src/connectors/connector';
import type { ExportSystemDescriptor } from '../../src/exports/art15';
import { StagingWriter, type StagingResult } from '../../src/exports/staging';

export async function tempDir(prefix = 'dsr-export-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, zip) => (err || !zip ? reject(err) : resolve(zip))),
  );
}

/**
 * Visits every entry of a zip in order, handing its content stream to `visit`.
 * Fails when an entry's CRC-32 does not match what the zip declares.
 */
export async function forEachEntry(file: string, visit: (name: string, content: Readable) => Promise<void>): Promise<string[]> {
  const zip = await openZip(file);
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      names.push(entry.fileName);
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return reject(err);
        visit(entry.fileName, stream).then(() => zip.readEntry(), reject);
      });
    });
    zip.readEntry();
  });
  return names;
}

/** The whole zip in memory: entry name -> bytes (small zips only), with CRC-32 checked. */
export async function unzip(file: string): Promise<Map<string, Buffer>> {
  const zip = await openZip(file);
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => {
          const data = Buffer.concat(chunks);
          if (crc32(data) !== entry.crc32) return reject(new Error(`CRC mismatch in ${entry.fileName}`));
          out.set(entry.fileName, data);
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return out;
}

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Stages `datasets` (name -> records) for one system and returns the result. */
export async function stage(dir: string, system: string, datasets: Record<string, Row[]>): Promise<StagingResult> {
  const writer = new StagingWriter(dir, system);
  for (const [name, records] of Object.entries(datasets)) {
    for (const record of records) await writer.write(name, record);
  }
  return writer.close();
}

/** A CRM-like system with datasets on every legal basis and declared automated decisions. */
export const CRM_DESCRIPTOR: ExportSystemDescriptor = {
  name: 'CRM',
  processor: 'Lime Technologies AB',
  location: 'EU (Sweden)',
  capabilities: ['ACCESS'],
  automatedDecisionMaking: 'Lead scoring ranks contacts for sales follow-up; no decision with legal effect is taken automatically',
  datasets: [
    {
      name: 'contacts',
      description: 'Contact person at a customer or supplier',
      purposes: ['Manage the customer relationship'],
      legalBasis: 'CONTRACT',
      retention: '1 year after the contract ends',
      fields: [
        { name: 'name', category: 'identity.name', provenance: 'PROVIDED' },
        { name: 'email', category: 'contact.email', provenance: 'PROVIDED' },
        { name: 'last_contacted_at', category: 'user.behavior.contact', provenance: 'OBSERVED' },
        { name: 'lead_score', category: 'user.assessment.score', provenance: 'DERIVED' },
      ],
    },
    {
      name: 'newsletter',
      description: 'Newsletter subscription',
      purposes: ['Send the newsletter'],
      legalBasis: 'CONSENT',
      retention: 'Until consent is withdrawn',
      fields: [
        { name: 'email', category: 'contact.email', provenance: 'PROVIDED' },
        { name: 'subscribed_at', category: 'preference.marketing_consent', provenance: 'OBSERVED' },
      ],
    },
    {
      name: 'invoices',
      description: 'Invoices to the customer',
      purposes: ['Bookkeeping'],
      legalBasis: 'LEGAL_OBLIGATION',
      retention: '7 years (Bokföringslagen)',
      fields: [
        { name: 'number', category: 'finance.invoice', provenance: 'OBSERVED' },
        { name: 'amount', category: 'finance.invoice', provenance: 'OBSERVED' },
      ],
    },
    {
      name: 'audiences',
      description: 'Advertising audiences the contact was placed in',
      purposes: ['Advertising to business contacts'],
      legalBasis: 'LEGITIMATE_INTEREST',
      retention: '1 year',
      fields: [
        { name: 'audience', category: 'marketing.audience', provenance: 'DERIVED' },
        { name: 'added_at', category: 'marketing.audience', provenance: 'OBSERVED' },
      ],
    },
  ],
};

/** A system without a processor, transfer or declared automated decisions. */
export const BILLING_DESCRIPTOR: ExportSystemDescriptor = {
  name: 'Billing',
  location: 'On premises, Stockholm',
  capabilities: ['ACCESS', 'MANUAL_STEPS'],
  datasets: [
    {
      name: 'payments',
      description: 'Payments received',
      purposes: ['Bookkeeping'],
      legalBasis: 'LEGAL_OBLIGATION',
      retention: '7 years',
      fields: [{ name: 'amount', category: 'finance.payment', provenance: 'OBSERVED' }],
    },
  ],
};
