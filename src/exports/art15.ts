/**
 * The information GDPR Art. 15(1)-(2) requires alongside a copy of the data, per system, taken
 * from the system's descriptor: purposes, categories, recipients, retention, source, automated
 * decision-making, transfer safeguards, and the person's rights including the right to complain
 * to the supervisory authority (IMY).
 */
import type { FieldDescriptor, LegalBasis, Provenance, SystemDescriptor } from '../connectors/connector';

/** A descriptor that may also declare automated decision-making (Art. 22). */
export interface ExportSystemDescriptor extends SystemDescriptor {
  /** What automated decision-making, including profiling, the system does; absent means none. */
  automatedDecisionMaking?: string;
}

export interface Text {
  en: string;
  sv: string;
}

export interface Art15Dataset {
  name: string;
  description: string;
  purposes: string[];
  legalBasis: LegalBasis;
  retention: string;
  categories: string[];
  sources: Provenance[];
}

export interface Art15Source extends Text {
  provenance: Provenance;
  /** The categories of data that come from this source. */
  categories: string[];
}

export interface Art15Right extends Text {
  right: 'ACCESS' | 'RECTIFICATION' | 'ERASURE' | 'RESTRICTION' | 'PORTABILITY' | 'OBJECTION';
  article: string;
}

export interface SupervisoryAuthority {
  name: string;
  abbreviation: string;
  website: string;
  postalAddress: string;
  text: Text;
}

export interface Art15Information {
  system: string;
  systemName: string;
  purposes: string[];
  categories: string[];
  /** Processors and other recipients the data is disclosed to. */
  recipients: string[];
  retention: string[];
  sources: Art15Source[];
  location: string;
  /** Safeguards for transfers outside the EU/EEA (Art. 46), or null when none is declared. */
  transferSafeguard: string | null;
  /** "none" unless the descriptor declares some. */
  automatedDecisionMaking: string;
  datasets: Art15Dataset[];
  rights: Art15Right[];
  rightToComplain: SupervisoryAuthority;
}

export const SOURCE_TEXT: Record<Provenance, Text> = {
  PROVIDED: { en: 'you', sv: 'dig' },
  OBSERVED: { en: 'your use of the service', sv: 'din användning av tjänsten' },
  DERIVED: { en: 'derived by the company from other data', sv: 'härlett av företaget ur andra uppgifter' },
};

export const SUBJECT_RIGHTS: readonly Art15Right[] = [
  {
    right: 'ACCESS',
    article: 'Art. 15',
    en: 'You may ask for a copy of your personal data and information about how it is processed.',
    sv: 'Du har rätt att få en kopia av dina personuppgifter och information om hur de behandlas.',
  },
  {
    right: 'RECTIFICATION',
    article: 'Art. 16',
    en: 'You may have inaccurate personal data corrected and incomplete data completed.',
    sv: 'Du har rätt att få felaktiga personuppgifter rättade och ofullständiga uppgifter kompletterade.',
  },
  {
    right: 'ERASURE',
    article: 'Art. 17',
    en: 'You may have your personal data erased, unless the law requires the company to keep it.',
    sv: 'Du har rätt att få dina personuppgifter raderade, om inte lagen kräver att företaget sparar dem.',
  },
  {
    right: 'RESTRICTION',
    article: 'Art. 18',
    en: 'You may ask the company to restrict the processing of your personal data, for example while its accuracy is checked.',
    sv: 'Du har rätt att begära att behandlingen av dina personuppgifter begränsas, till exempel medan deras riktighet kontrolleras.',
  },
  {
    right: 'PORTABILITY',
    article: 'Art. 20',
    en: 'You may receive the data you provided, processed on the basis of consent or contract, in a machine-readable format and have it moved to another controller.',
    sv: 'Du har rätt att få ut de uppgifter du lämnat, som behandlas med stöd av samtycke eller avtal, i ett maskinläsbart format och få dem överförda till en annan personuppgiftsansvarig.',
  },
  {
    right: 'OBJECTION',
    article: 'Art. 21',
    en: 'You may object to processing based on legitimate interest; you can always object to direct marketing, and it will then stop.',
    sv: 'Du har rätt att invända mot behandling som grundar sig på berättigat intresse; mot direktmarknadsföring kan du alltid invända, och den upphör då.',
  },
];

export const IMY: SupervisoryAuthority = {
  name: 'Integritetsskyddsmyndigheten',
  abbreviation: 'IMY',
  website: 'www.imy.se',
  postalAddress: 'Box 8114, 104 20 Stockholm',
  text: {
    en: 'You have the right to lodge a complaint with the Swedish Authority for Privacy Protection (Integritetsskyddsmyndigheten, IMY) if you think your personal data is processed in breach of the GDPR (Art. 77).',
    sv: 'Du har rätt att lämna klagomål till Integritetsskyddsmyndigheten (IMY) om du anser att dina personuppgifter behandlas i strid med dataskyddsförordningen (art. 77).',
  },
};

export const NO_AUTOMATED_DECISIONS = 'none';

const unique = <T>(values: Iterable<T>): T[] => [...new Set(values)];

/** The fields with what their nested fields hold, for categories and sources. */
const withParts = (fields: readonly FieldDescriptor[]): FieldDescriptor[] => fields.flatMap((f) => [f, ...withParts(f.parts ?? [])]);

/** The Art. 15 information of one system, from its descriptor. */
export function art15Information(systemId: string, descriptor: ExportSystemDescriptor): Art15Information {
  const fields = descriptor.datasets.flatMap((d) => withParts(d.fields));
  const provenances = (['PROVIDED', 'OBSERVED', 'DERIVED'] as const).filter((p) => fields.some((f) => f.provenance === p));
  const adm = descriptor.automatedDecisionMaking?.trim();
  return {
    system: systemId,
    systemName: descriptor.name,
    purposes: unique(descriptor.datasets.flatMap((d) => d.purposes)),
    categories: unique(fields.map((f) => f.category)),
    recipients: [...(descriptor.processor ? [descriptor.processor] : []), ...(descriptor.recipients ?? [])],
    retention: unique(descriptor.datasets.map((d) => d.retention)),
    sources: provenances.map((p) => ({
      provenance: p,
      ...SOURCE_TEXT[p],
      categories: unique(fields.filter((f) => f.provenance === p).map((f) => f.category)),
    })),
    location: descriptor.location,
    transferSafeguard: descriptor.transferSafeguard ?? null,
    automatedDecisionMaking: adm ? adm : NO_AUTOMATED_DECISIONS,
    datasets: descriptor.datasets.map((d) => {
      const described = withParts(d.fields);
      return {
        name: d.name,
        description: d.description,
        purposes: [...d.purposes],
        legalBasis: d.legalBasis,
        retention: d.retention,
        categories: unique(described.map((f) => f.category)),
        sources: (['PROVIDED', 'OBSERVED', 'DERIVED'] as const).filter((p) => described.some((f) => f.provenance === p)),
      };
    }),
    rights: SUBJECT_RIGHTS.map((r) => ({ ...r })),
    rightToComplain: { ...IMY, text: { ...IMY.text } },
  };
}
