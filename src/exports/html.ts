/**
 * `index.html`: the export in readable form for the person, in Swedish and English. Self-contained:
 * inline CSS, no scripts, no external resources; links only to sections of the page and to the
 * entries of the zip. Every piece of text goes through `escapeHtml`.
 */
import type { IdentifierKind, LegalBasis } from '../connectors/connector';
import { IMY, SUBJECT_RIGHTS, type Art15Information, type Text } from './art15';
import type { ManifestBody, ManifestDataset, ManifestSystem, ExportSystemStatus } from './manifest';

export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const t = (sv: string, en: string): Text => ({ sv, en });

const L = {
  titleAccess: t('Kopia av dina personuppgifter', 'Copy of your personal data'),
  titlePortability: t('Dina uppgifter för dataportabilitet', 'Your data for data portability'),
  request: t('Om begäran', 'About the request'),
  requestId: t('Ärende', 'Request'),
  received: t('Mottagen', 'Received'),
  generated: t('Sammanställd', 'Generated'),
  identifiers: t('Uppgifter vi sökte på', 'Identifiers we searched for'),
  contents: t('Innehåll', 'Contents'),
  systems: t('System', 'Systems'),
  status: t('Status', 'Status'),
  error: t('Fel', 'Error'),
  datasets: t('Datamängder', 'Datasets'),
  dataset: t('Datamängd', 'Dataset'),
  description: t('Beskrivning', 'Description'),
  records: t('Poster', 'Records'),
  files: t('Filer', 'Files'),
  legalBasis: t('Rättslig grund', 'Legal basis'),
  purposes: t('Ändamål', 'Purposes'),
  categories: t('Kategorier av personuppgifter', 'Categories of personal data'),
  recipients: t('Mottagare och personuppgiftsbiträden', 'Recipients and processors'),
  noRecipients: t('Inga mottagare angivna', 'No recipients declared'),
  retention: t('Lagringstid', 'Retention'),
  source: t('Varifrån uppgifterna kommer', 'Where the data comes from'),
  location: t('Plats', 'Location'),
  transfers: t('Skyddsåtgärder vid överföring', 'Transfer safeguards'),
  noTransfer: t('Ingen överföring utanför EU/EES angiven', 'No transfer outside the EU/EEA declared'),
  adm: t('Automatiserat beslutsfattande', 'Automated decision-making'),
  none: t('inget', 'none'),
  leftOut: t('Utelämnat', 'Left out'),
  portability: t('Dataportabilitet', 'Data portability'),
  included: t('Ingår', 'Included'),
  rights: t('Dina rättigheter', 'Your rights'),
  complain: t('Rätt att klaga', 'Right to complain'),
  aboutFiles: t('Om filerna', 'About the files'),
  uploaded: t('Filer som en person hittade i systemet', 'Files a person found in the system'),
  originalName: t('Ursprungligt filnamn', 'Original file name'),
  size: t('Storlek (byte)', 'Size (bytes)'),
} as const;

/** A system without an API, searched by a person. */
const SEARCHED_BY_HAND = (owner: string | null, at: string): Text =>
  t(
    `Systemet saknar API: det söktes igenom av en person${owner ? ` (${owner})` : ''}, som bekräftade sökningen ${at}.`,
    `The system has no API: a person${owner ? ` (${owner})` : ''} searched it and confirmed the search at ${at}.`,
  );

const STATUS: Record<ExportSystemStatus, Text> = {
  SUCCEEDED: t('Hämtad', 'Retrieved'),
  NOT_FOUND: t('Inga uppgifter om dig', 'No data about you'),
  FAILED: t('Kunde inte hämtas', 'Could not be retrieved'),
};

const LEGAL_BASIS: Record<LegalBasis, Text> = {
  CONSENT: t('samtycke', 'consent'),
  CONTRACT: t('avtal', 'contract'),
  LEGAL_OBLIGATION: t('rättslig förpliktelse', 'legal obligation'),
  LEGITIMATE_INTEREST: t('berättigat intresse', 'legitimate interest'),
};

const IDENTIFIER: Record<IdentifierKind, Text> = {
  email: t('e-post', 'email'),
  phone: t('telefon', 'phone'),
  appUserId: t('användar-id i appen', 'app user id'),
  customerNumber: t('kundnummer', 'customer number'),
  crmPersonId: t('person-id i CRM', 'CRM person id'),
};

const LEFT_OUT: Record<string, Text> = {
  LEGAL_BASIS: t('annan rättslig grund än samtycke eller avtal', 'legal basis other than consent or contract'),
  NO_PORTABLE_FIELDS: t('endast härledda uppgifter', 'derived data only'),
  UNDECLARED: t('inte deklarerad', 'not declared'),
  PROVENANCE: t('härledd av företaget', 'derived by the company'),
};

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1d1d1f}
h1,h2,h3{line-height:1.25}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2.5rem}
.en{color:#555;font-weight:normal}.en::before{content:" / "}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
.status-FAILED{color:#a00;font-weight:bold}.status-NOT_FOUND{color:#555}.error{background:#fff0f0;border-left:4px solid #a00;padding:.3rem .6rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:bold}dd{margin:0}
code{font-family:ui-monospace,Menlo,Consolas,monospace}`;

/** A bilingual label: Swedish first, English after it. */
function label(text: Text): string {
  return `<span lang="sv">${escapeHtml(text.sv)}</span><span class="en" lang="en">${escapeHtml(text.en)}</span>`;
}

function list(items: readonly string[], empty?: Text): string {
  if (items.length === 0) return empty ? label(empty) : '';
  return `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
}

const systemAnchor = (system: string) => `system-${system}`;
const datasetAnchor = (system: string, dataset: string) => `dataset-${system}-${dataset}`;
const entryLink = (entry: string) => `<a href="${escapeHtml(entry)}"><code>${escapeHtml(entry)}</code></a>`;

function tableOfContents(systems: readonly ManifestSystem[]): string {
  const items = systems.map((s) => {
    const datasets = s.datasets.map(
      (d) =>
        `<li><a href="#${escapeHtml(datasetAnchor(s.id, d.name))}">${escapeHtml(d.name)}</a> (${d.records})` +
        (d.entries.length ? ` ${d.entries.map(entryLink).join(' ')}` : '') +
        '</li>',
    );
    const files = (s.files ?? []).map((f) => `<li>${entryLink(f.entry)} (${escapeHtml(f.originalName)})</li>`);
    return (
      `<li><a href="#${escapeHtml(systemAnchor(s.id))}">${escapeHtml(s.name)}</a> ` +
      `<span class="status-${s.status}">${label(STATUS[s.status])}</span>` +
      (datasets.length || files.length ? `<ul>${datasets.join('')}${files.join('')}</ul>` : '') +
      '</li>'
    );
  });
  return `<nav><h2>${label(L.contents)}</h2><ul>${items.join('')}</ul></nav>`;
}

function datasetTable(system: ManifestSystem, art15: Art15Information): string {
  if (system.datasets.length === 0) return '';
  const rows = system.datasets.map((d: ManifestDataset) => {
    const declared = art15.datasets.find((x) => x.name === d.name);
    const files = d.entries.length ? d.entries.map(entryLink).join('<br>') : d.leftOut ? `${label(L.leftOut)}: ${label(LEFT_OUT[d.leftOut]!)}` : '';
    return (
      `<tr id="${escapeHtml(datasetAnchor(system.id, d.name))}"><td>${escapeHtml(d.name)}</td>` +
      `<td>${escapeHtml(d.description ?? '')}</td>` +
      `<td>${declared ? label(LEGAL_BASIS[declared.legalBasis]) : ''}</td>` +
      `<td>${escapeHtml(declared?.retention ?? '')}</td>` +
      `<td class="n">${d.records}</td><td>${files}</td></tr>`
    );
  });
  const head = [L.dataset, L.description, L.legalBasis, L.retention, L.records, L.files].map((h) => `<th>${label(h)}</th>`).join('');
  return `<h4>${label(L.datasets)}</h4><table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function uploadedFiles(system: ManifestSystem): string {
  const files = system.files ?? [];
  if (files.length === 0) return '';
  const rows = files.map(
    (f) => `<tr><td>${entryLink(f.entry)}</td><td>${escapeHtml(f.originalName)}</td><td class="n">${f.size}</td><td><code>${escapeHtml(f.sha256)}</code></td></tr>`,
  );
  const head = [L.files, L.originalName, L.size].map((h) => `<th>${label(h)}</th>`).join('') + '<th>SHA-256</th>';
  return `<h4>${label(L.uploaded)}</h4><table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function portabilitySection(system: ManifestSystem): string {
  const scope = system.portability;
  if (!scope) return '';
  const included = scope.included.map((d) => `${d.dataset}: ${d.fields.join(', ')}`);
  const leftOut = [
    ...scope.leftOut.datasets.map((d) => `${d.dataset} (${LEFT_OUT[d.reason]!.sv} / ${LEFT_OUT[d.reason]!.en})`),
    ...scope.leftOut.fields.map((f) => `${f.dataset}.${f.field} (${LEFT_OUT[f.reason]!.sv} / ${LEFT_OUT[f.reason]!.en})`),
  ];
  return (
    `<h4>${label(L.portability)}</h4><dl>` +
    `<dt>${label(L.included)}</dt><dd>${list(included, L.none)}</dd>` +
    `<dt>${label(L.leftOut)}</dt><dd>${list(leftOut, L.none)}</dd></dl>`
  );
}

function systemSection(system: ManifestSystem): string {
  const a = system.art15;
  const sources = a.sources.map((s) => `${s.sv} / ${s.en}: ${s.categories.join(', ')}`);
  const adm = a.automatedDecisionMaking === 'none' ? label(L.none) : escapeHtml(a.automatedDecisionMaking);
  return (
    `<section id="${escapeHtml(systemAnchor(system.id))}"><h3>${escapeHtml(system.name)} <code>${escapeHtml(system.id)}</code></h3>` +
    `<p>${label(L.status)}: <span class="status-${system.status}">${label(STATUS[system.status])}</span></p>` +
    (system.error !== null ? `<p class="error">${label(L.error)}: ${escapeHtml(system.error)}</p>` : '') +
    (system.manualStep ? `<p>${label(SEARCHED_BY_HAND(system.manualStep.owner, system.manualStep.confirmedAt))}</p>` : '') +
    datasetTable(system, a) +
    uploadedFiles(system) +
    portabilitySection(system) +
    '<dl>' +
    `<dt>${label(L.purposes)}</dt><dd>${list(a.purposes)}</dd>` +
    `<dt>${label(L.categories)}</dt><dd>${list(a.categories)}</dd>` +
    `<dt>${label(L.source)}</dt><dd>${list(sources)}</dd>` +
    `<dt>${label(L.recipients)}</dt><dd>${list(a.recipients, L.noRecipients)}</dd>` +
    `<dt>${label(L.retention)}</dt><dd>${list(a.retention)}</dd>` +
    `<dt>${label(L.location)}</dt><dd>${escapeHtml(a.location)}</dd>` +
    `<dt>${label(L.transfers)}</dt><dd>${a.transferSafeguard === null ? label(L.noTransfer) : escapeHtml(a.transferSafeguard)}</dd>` +
    `<dt>${label(L.adm)}</dt><dd>${adm}</dd>` +
    '</dl></section>'
  );
}

function rightsSection(): string {
  const rights = SUBJECT_RIGHTS.map(
    (r) => `<li><strong>${escapeHtml(r.article)}</strong> <span lang="sv">${escapeHtml(r.sv)}</span><br><span lang="en">${escapeHtml(r.en)}</span></li>`,
  );
  const imy = IMY;
  return (
    `<section id="rights"><h2>${label(L.rights)}</h2><ul>${rights.join('')}</ul></section>` +
    `<section id="complaint"><h2>${label(L.complain)}</h2>` +
    `<p lang="sv">${escapeHtml(imy.text.sv)}</p><p lang="en">${escapeHtml(imy.text.en)}</p>` +
    `<address>${escapeHtml(imy.name)} (${escapeHtml(imy.abbreviation)})<br>${escapeHtml(imy.postalAddress)}<br>${escapeHtml(imy.website)}</address></section>`
  );
}

const ABOUT_FILES = t(
  'Varje datamängd finns som JSON (uppgifterna exakt som systemet har dem) och som CSV för kalkylprogram. ' +
    'I CSV-filen har celler som börjar med = + - @, tabb eller radbrytning fått en inledande apostrof (\') så att ' +
    'kalkylprogram inte tolkar dem som formler. manifest.json anger SHA-256 och storlek för varje fil.',
  'Each dataset is given as JSON (the data exactly as the system holds it) and as CSV for spreadsheets. ' +
    'In the CSV file, cells beginning with = + - @, a tab or a line break have a leading apostrophe (\') so that ' +
    'spreadsheet programs do not read them as formulas. manifest.json gives the SHA-256 and size of every file.',
);

export function renderIndexHtml(manifest: ManifestBody): string {
  const title = manifest.request.type === 'PORTABILITY' ? L.titlePortability : L.titleAccess;
  const identifiers = manifest.request.subjectIdentifiers.map(
    (i) => `<li>${label(IDENTIFIER[i.kind] ?? t(i.kind, i.kind))}: <code>${escapeHtml(i.value)}</code></li>`,
  );
  const statement = manifest.portability
    ? `<section id="portability"><h2>${label(L.portability)}</h2><p lang="sv">${escapeHtml(manifest.portability.statement.sv)}</p>` +
      `<p lang="en">${escapeHtml(manifest.portability.statement.en)}</p></section>`
    : '';
  return (
    '<!DOCTYPE html>\n<html lang="sv"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title.sv)} / ${escapeHtml(title.en)}</title><style>${STYLE}</style></head><body>\n` +
    `<h1>${label(title)}</h1>\n` +
    `<section id="request"><h2>${label(L.request)}</h2><dl>` +
    `<dt>${label(L.requestId)}</dt><dd><code>${escapeHtml(manifest.request.id)}</code></dd>` +
    `<dt>${label(L.received)}</dt><dd>${escapeHtml(manifest.request.createdAt)}</dd>` +
    `<dt>${label(L.generated)}</dt><dd>${escapeHtml(manifest.generatedAt)}</dd>` +
    `<dt>${label(L.identifiers)}</dt><dd><ul>${identifiers.join('')}</ul></dd></dl></section>\n` +
    tableOfContents(manifest.systems) +
    '\n' +
    statement +
    `<section id="systems"><h2>${label(L.systems)}</h2>${manifest.systems.map(systemSection).join('\n')}</section>\n` +
    rightsSection() +
    `\n<section id="files"><h2>${label(L.aboutFiles)}</h2><p lang="sv">${escapeHtml(ABOUT_FILES.sv)}</p><p lang="en">${escapeHtml(ABOUT_FILES.en)}</p></section>\n` +
    '</body></html>\n'
  );
}
