/**
 * The demo company's systems without an API, as its DSR_CONFIG_FILE would describe them: payroll
 * (Hogia lön, file import/export only) and Microsoft 365 content that needs eDiscovery (Office 365
 * files, Teams). `npm start` adds them to the demo (see defaultManualSystems).
 */
import type { Config, ConnectorSettings } from '../../config';

const IT_OWNER = 'IT administrator (Microsoft 365 eDiscovery Manager)';
const MICROSOFT = 'Microsoft Ireland Operations Ltd (Microsoft 365)';
const MICROSOFT_LOCATION = 'EU (Microsoft 365 EU Data Boundary, data centres in Sweden)';
const MICROSOFT_TRANSFER =
  'EU Standard Contractual Clauses (Art. 46(2)(c)) and the EU-US Data Privacy Framework, for support and service operations from outside the EU/EEA';

export const DEMO_MANUAL_SYSTEMS: Record<string, ConnectorSettings> = {
  'hogia-lon': {
    kind: 'manual',
    enabled: true,
    name: 'Hogia lön',
    owner: 'Payroll administrator (HR)',
    processor: 'Hogia Business Products AB (Hogia Lön, hosted service)',
    location: 'EU (Sweden)',
    dueDays: 7,
    instructions: {
      ACCESS:
        'In Hogia lön, find the employee by personnummer (or name and employment dates) in the personnel register. ' +
        'Export as PDF: the personnel card (personalkort), the pay slips (lönespecifikationer) of the last seven years, ' +
        'the individual data of the employer declarations (AGI) and the absence history; export the salary transactions ' +
        'as CSV (Rapporter > Lönearter per anställd). Upload each file to this request, then confirm with what you searched ' +
        'and what you found. If the person was never on the payroll, upload nothing and confirm "not in the personnel register".',
      ERASURE:
        'Pay records are accounting and tax records: salary payments, tax deductions and employer declarations must be kept ' +
        '(bokföringslagen 7 kap. 2 §, skatteförfarandelagen 39 kap. 3 §) and may not be deleted. In Hogia lön: make sure the ' +
        'employment is ended, delete what is not needed for those records (private email and phone, next of kin, notes, ' +
        'settled sick-leave certificates), set the employee inactive, and confirm with what was removed and what is kept until when.',
      RESTRICTION:
        'In Hogia lön, add the note "Behandling begränsad (Art. 18)" to the personnel card and use the data only for pay and ' +
        'the tax obligations until the restriction is lifted.',
      LIFT_RESTRICTION: 'In Hogia lön, remove the note "Behandling begränsad (Art. 18)" from the personnel card; the data is used as before.',
      RECTIFICATION:
        'In Hogia lön, correct the fields named in the request on the personnel card. A new bank account needs the ' +
        "account holder's own confirmation (bank certificate) before it is used for a payment.",
    },
    datasets: [
      {
        name: 'employees',
        description: 'The personnel card: who the employee is, how to pay them and their employment',
        purposes: ['Pay salaries and administer the employment'],
        legalBasis: 'CONTRACT',
        retention: 'While employed, then 2 years after the employment ended (company rule); the parts that are pay records as below',
        fields: [
          { name: 'personnummer', category: 'identity.national_id', provenance: 'PROVIDED' },
          { name: 'name', category: 'identity.name', provenance: 'PROVIDED' },
          { name: 'address', category: 'contact.address', provenance: 'PROVIDED' },
          { name: 'privateEmail', category: 'contact.email', provenance: 'PROVIDED' },
          { name: 'bankAccount', category: 'financial.bank_account', provenance: 'PROVIDED' },
          { name: 'employment', category: 'employment.contract', provenance: 'PROVIDED' },
          { name: 'position', category: 'employment.title', provenance: 'PROVIDED' },
          { name: 'taxTable', category: 'tax.table', provenance: 'DERIVED' },
          { name: 'unionFee', category: 'special.trade_union_membership', provenance: 'PROVIDED' },
        ],
      },
      {
        name: 'salary_payments',
        description: 'Pay slips and salary transactions: gross pay, benefits, deductions, preliminary tax and net pay',
        purposes: ['Pay salaries', 'Keep the accounts and withhold tax as the law requires'],
        legalBasis: 'LEGAL_OBLIGATION',
        retention: 'Through the seventh calendar year after the end of the fiscal year of the payment (bokföringslagen 7 kap. 2 §)',
        fields: [
          { name: 'period', category: 'financial.salary', provenance: 'DERIVED' },
          { name: 'grossSalary', category: 'financial.salary', provenance: 'DERIVED' },
          { name: 'benefits', category: 'financial.benefits', provenance: 'DERIVED' },
          { name: 'deductions', category: 'financial.deductions', provenance: 'DERIVED' },
          { name: 'preliminaryTax', category: 'tax.withheld', provenance: 'DERIVED' },
          { name: 'netPay', category: 'financial.salary', provenance: 'DERIVED' },
          { name: 'paidTo', category: 'financial.bank_account', provenance: 'PROVIDED' },
        ],
      },
      {
        name: 'employer_declarations',
        description: 'Individual data of the monthly employer declarations (arbetsgivardeklaration på individnivå) sent to Skatteverket',
        purposes: ['Report pay and withheld tax to Skatteverket'],
        legalBasis: 'LEGAL_OBLIGATION',
        retention: 'Through the seventh calendar year after the end of the tax year (skatteförfarandelagen 39 kap. 3 §)',
        fields: [
          { name: 'personnummer', category: 'identity.national_id', provenance: 'PROVIDED' },
          { name: 'period', category: 'tax.declaration', provenance: 'DERIVED' },
          { name: 'paidSalary', category: 'financial.salary', provenance: 'DERIVED' },
          { name: 'taxWithheld', category: 'tax.withheld', provenance: 'DERIVED' },
        ],
      },
      {
        name: 'absence',
        description: 'Vacation, parental leave and sick leave, as far as pay depends on them (no diagnoses)',
        purposes: ['Pay sick pay, vacation pay and parental-leave deductions'],
        legalBasis: 'LEGAL_OBLIGATION',
        retention: 'As a pay record (bokföringslagen 7 kap. 2 §); sick-leave certificates are deleted once the sick pay is settled',
        fields: [
          { name: 'type', category: 'employment.absence', provenance: 'PROVIDED' },
          { name: 'from', category: 'employment.absence', provenance: 'PROVIDED' },
          { name: 'to', category: 'employment.absence', provenance: 'PROVIDED' },
          { name: 'sickLeave', category: 'special.health', provenance: 'PROVIDED' },
        ],
      },
    ],
  },
  office365: {
    kind: 'manual',
    enabled: true,
    name: 'Office 365 files',
    owner: IT_OWNER,
    processor: MICROSOFT,
    location: MICROSOFT_LOCATION,
    transferSafeguard: MICROSOFT_TRANSFER,
    dueDays: 10,
    instructions: {
      ACCESS:
        'In Microsoft Purview (eDiscovery > Cases), create a case named with this request id and a search of SharePoint and ' +
        "OneDrive for the person's email addresses and full name. Review the hits; export the documents that are about the " +
        'person (contracts, offers, CVs, meeting notes) as PDF, and the search summary as CSV; leave out or redact what is ' +
        "about other people. Upload the files here and confirm with the case name and how many items you reviewed.",
      ERASURE:
        'In the eDiscovery case of the person, delete the documents that are only about them and are not under a retention ' +
        "label or legal hold; in documents that must be kept (signed contracts, accounting records) remove the person's details " +
        'where the record allows. Deleted items stay in the Preservation Hold library until the retention policy ends. Confirm ' +
        'with the case name, the items deleted and the items kept with the reason.',
      RESTRICTION:
        'Apply the retention label "Behandling begränsad" to the documents found for the person and limit access to HR and the ' +
        'data protection officer until the restriction is lifted.',
      LIFT_RESTRICTION: 'Remove the retention label "Behandling begränsad" from the documents found for the person and restore the access they had before.',
      RECTIFICATION: 'Correct the details named in the request in the documents found for the person, or add a dated correction note to them.',
    },
    datasets: [
      {
        name: 'documents',
        description: 'Documents in SharePoint and OneDrive that name the person: contracts, offers, CVs, meeting notes and correspondence',
        purposes: ['Run the business: agreements, recruitment and collaboration with customers and suppliers'],
        legalBasis: 'LEGITIMATE_INTEREST',
        retention: '3 years after the last change (Microsoft 365 retention policy); accounting records 7 years (bokföringslagen 7 kap. 2 §)',
        fields: [
          { name: 'title', category: 'document.title', provenance: 'OBSERVED' },
          { name: 'content', category: 'document.content', provenance: 'PROVIDED' },
          { name: 'author', category: 'identity.name', provenance: 'OBSERVED' },
          { name: 'modifiedAt', category: 'document.metadata', provenance: 'OBSERVED' },
          { name: 'location', category: 'document.metadata', provenance: 'OBSERVED' },
        ],
      },
    ],
  },
  teams: {
    kind: 'manual',
    enabled: true,
    name: 'Microsoft Teams',
    owner: IT_OWNER,
    processor: MICROSOFT,
    location: MICROSOFT_LOCATION,
    transferSafeguard: MICROSOFT_TRANSFER,
    dueDays: 10,
    instructions: {
      ACCESS:
        "In Microsoft Purview eDiscovery, search Teams content for the person: their own mailbox (1:1 and group chats) and " +
        "the teams' group mailboxes (channel messages), by their email address or user principal name, plus meeting attendance " +
        "reports. Export the conversations they took part in as PDF or CSV, with other people's messages only where needed to " +
        'understand theirs. Upload the files here and confirm with the case name and the number of conversations.',
      ERASURE:
        'For an employee who has left or a guest, delete the user or guest account in the Microsoft 365 admin center (their ' +
        "chats then follow the Teams retention policy). Delete messages that are only about the person with Purview's search " +
        'and purge. Confirm with the case name, what was deleted and what the retention policy keeps until when.',
      RESTRICTION:
        'Place the eDiscovery case of the person on hold and limit who may search it to the data protection officer until the restriction is lifted.',
      LIFT_RESTRICTION: 'Release the hold on the eDiscovery case of the person and restore who may search it.',
    },
    datasets: [
      {
        name: 'messages',
        description: 'Chat and channel messages the person wrote or received, with their attachments and reactions',
        purposes: ['Internal communication and collaboration with customers and partners'],
        legalBasis: 'LEGITIMATE_INTEREST',
        retention: 'Chats 2 years, channel messages 3 years (Teams retention policies)',
        fields: [
          { name: 'from', category: 'identity.name', provenance: 'OBSERVED' },
          { name: 'to', category: 'identity.name', provenance: 'OBSERVED' },
          { name: 'body', category: 'communication.content', provenance: 'PROVIDED' },
          { name: 'sentAt', category: 'communication.metadata', provenance: 'OBSERVED' },
          { name: 'attachments', category: 'document.content', provenance: 'PROVIDED' },
        ],
      },
      {
        name: 'meetings',
        description: 'Meetings the person was invited to: attendance reports, recordings and transcripts',
        purposes: ['Hold and document meetings'],
        legalBasis: 'LEGITIMATE_INTEREST',
        retention: 'Attendance reports 1 year; recordings and transcripts 120 days (Teams meeting expiry)',
        fields: [
          { name: 'meeting', category: 'communication.metadata', provenance: 'OBSERVED' },
          { name: 'attendance', category: 'user.behavior.attended', provenance: 'OBSERVED' },
          { name: 'recording', category: 'communication.recording', provenance: 'OBSERVED' },
          { name: 'transcript', category: 'communication.content', provenance: 'OBSERVED' },
        ],
      },
    ],
  },
};

/** The demo's systems without an API, under the ids no configured system uses. */
export function demoManualSystems(connectors: Record<string, ConnectorSettings>): Record<string, ConnectorSettings> {
  return Object.fromEntries(Object.entries(DEMO_MANUAL_SYSTEMS).filter(([id]) => !connectors[id]).map(([id, s]) => [id, structuredClone(s)]));
}

/**
 * The demo as `npm start` runs it, with neither DSR_CONFIG_FILE nor DSR_OPERATORS (never in
 * production): the demo company's systems without an API. A gateway given its own operators or
 * connector file describes its systems itself.
 */
export function defaultManualSystems(config: Pick<Config, 'env' | 'configFile' | 'connectors' | 'operators'>): Record<string, ConnectorSettings> {
  if (config.env === 'production' || config.configFile || config.operators) return {};
  return demoManualSystems(config.connectors);
}
