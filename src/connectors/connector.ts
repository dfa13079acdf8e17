/**
 * The connector SPI: the small interface every system the gateway talks to implements.
 * Connectors are batched (one collect call for many subjects), never scan a whole list to find
 * one person, and match identifiers exactly.
 */

export type IdentifierKind = 'email' | 'phone' | 'appUserId' | 'customerNumber' | 'crmPersonId';
export const IDENTIFIER_KINDS: readonly IdentifierKind[] = ['email', 'phone', 'appUserId', 'customerNumber', 'crmPersonId'];

/** One subject's normalised identifiers: each kind may carry several values (enrichment adds some). */
export type SubjectKey = Partial<Record<IdentifierKind, string[]>>;

export interface Identifier {
  kind: IdentifierKind;
  value: string;
  /** "input" or the id of the system that revealed it. */
  source: string;
}

export type Provenance = 'PROVIDED' | 'OBSERVED' | 'DERIVED';
export type LegalBasis = 'CONSENT' | 'CONTRACT' | 'LEGAL_OBLIGATION' | 'LEGITIMATE_INTEREST';
export type Capability = 'ACCESS' | 'ERASURE' | 'RECTIFICATION' | 'RESTRICTION' | 'MARKETING_SUPPRESSION' | 'MANUAL_STEPS';

export interface FieldDescriptor {
  /** A top-level key of the dataset's records (exports keep or leave out a field whole). */
  name: string;
  category: string;
  provenance: Provenance;
  /**
   * What a nested field (an object, or a list of objects) holds, for the data map and the Art. 15
   * categories and sources. Their names are descriptive (`Email` for a channel of that type).
   */
  parts?: readonly FieldDescriptor[];
}

export interface DatasetDescriptor {
  name: string;
  description: string;
  purposes: string[];
  legalBasis: LegalBasis;
  retention: string;
  /** The same rule, machine-readable, for retention sweeps (absent: no rule the gateway applies). */
  retentionRule?: RetentionRule;
  fields: FieldDescriptor[];
}

/**
 * What the retention period counts from:
 * - `employer-contract-end`: the day the subject's employer's contract with the company ended;
 * - `fiscal-year-end`: the end of the fiscal year of the newest accounting record, kept through
 *   the period's last calendar year (bokföringslagen 7 kap. 2 §: "the seventh year after the
 *   calendar year in which the fiscal year ended");
 * - `customer-contract-end`: the day the customer or supplier relationship (the subject's own, or
 *   their organisation's) ended;
 * - `last-activity`: the subject's last recorded activity in the system.
 */
export type RetentionStart = 'employer-contract-end' | 'customer-contract-end' | 'fiscal-year-end' | 'last-activity';

export interface RetentionRule {
  after: RetentionStart;
  period: { years?: number; months?: number };
  /** Why the data is kept that long, e.g. "bokföringslagen 7 kap. 2 §". */
  legalBasis?: string;
}

/** The data map of one system (GDPR Art. 30) and the source of the Art. 15 information. */
export interface SystemDescriptor {
  name: string;
  processor?: string;
  location: string;
  transferSafeguard?: string;
  /** Recipients the data is disclosed to besides the processor (e.g. the audiences an address is uploaded to). */
  recipients?: string[];
  capabilities: Capability[];
  datasets: DatasetDescriptor[];
}

export type Row = Record<string, unknown>;

export interface CollectOptions {
  identifyOnly?: boolean;
  /**
   * An operator's live view: a system that cannot search (Zoom) may find people through an index
   * of its last full read, a little stale, instead of reading everything again. Never set for
   * exports, erasures or verification.
   */
  view?: boolean;
}

/** Receives a dataset's records a batch at a time (awaited: that is the back-pressure). */
export type RecordSink = (dataset: string, records: Row[]) => Promise<void>;

export interface DatasetSnapshot {
  name: string;
  /** Records as the source holds them (field names kept). */
  records: Row[];
}

/** What one system holds about one subject, at one moment. */
export interface SystemSnapshot {
  found: boolean;
  /** Processing of this subject is restricted in this system (Art. 18). */
  restricted: boolean;
  datasets: DatasetSnapshot[];
  /** Safe text about what the gateway could not see here (e.g. a system only a person can search). */
  note?: string;
}

/**
 * A system that only a person can search or change (no API): who does its manual steps, and how
 * many days a step may wait for them.
 */
export interface ManualStepSettings {
  /** A role or team, e.g. "Payroll administrator (HR)"; never a person's name. */
  owner: string;
  dueDays: number;
  /** False when the gateway cannot read the system: a person's confirmation is then the only verification. */
  readable: boolean;
}

/** The request types a person may have to carry out by hand. */
export type ManualRequestType = 'ACCESS' | 'PORTABILITY' | 'ERASURE' | 'RESTRICTION' | 'OBJECTION' | 'RECTIFICATION';

export interface Connector {
  readonly id: string;
  readonly system: SystemDescriptor;
  /** Identifier kinds this system can be searched by. */
  readonly accepts: readonly IdentifierKind[];
  init?(): Promise<void>;
  close?(): Promise<void>;
  /**
   * Batched: one call for many subjects; results in the subjects' order. With `identifyOnly` the
   * caller needs only what `discover` reads (a system may then skip its bulky datasets).
   */
  collect(subjects: SubjectKey[], signal: AbortSignal, options?: CollectOptions): Promise<SystemSnapshot[]>;
  /**
   * Streams everything this system holds about one subject, dataset by dataset, for exports: the
   * sink is awaited per batch, so memory stays flat whatever the size. Without it, exports use
   * `collect` (fine for systems that hold little per person).
   */
  exportRecords?(subject: SubjectKey, sink: RecordSink, signal: AbortSignal): Promise<{ found: boolean }>;
  /** Person-level identifiers this system reveals, for enrichment. */
  discover?(snapshot: SystemSnapshot): Omit<Identifier, 'source'>[];

  // --- acting on a subject (erasure, restriction, objection, rectification) ---
  // Each is idempotent: run twice, it does no harm and reports truthfully what is now so.

  /** Dry run: per dataset, what an erasure would do and to how many records. Changes nothing. */
  planErasure?(subject: SubjectKey, signal: AbortSignal): Promise<ErasurePlanStep[]>;
  /**
   * Erases what may be erased; retains (and restricts) what the law obliges the company to keep.
   * Work that goes on at the system (a job) is reported IN_PROGRESS with a `resume` state, which
   * the next call receives.
   */
  erase?(subject: SubjectKey, signal: AbortSignal, resume?: ResumeState): Promise<ActionOutcome>;
  /** Marks processing restricted (Art. 18), or lifts it. */
  restrict?(subject: SubjectKey, restricted: boolean, signal: AbortSignal): Promise<ActionOutcome>;
  /** Stops marketing to the subject for good (Art. 21(3)); IN_PROGRESS and `resume` as for `erase`. */
  suppressMarketing?(subject: SubjectKey, signal: AbortSignal, resume?: ResumeState): Promise<ActionOutcome>;
  /** Applies corrections (Art. 16); unknown or read-only fields are refused before anything changes. */
  rectify?(subject: SubjectKey, changes: FieldChange[], signal: AbortSignal): Promise<ActionOutcome>;
  /**
   * Checks corrections as `rectify` would, without reading or changing anything: a request whose
   * changes a system would refuse is refused when it is submitted (throws BAD_USER_INPUT).
   */
  checkChanges?(changes: FieldChange[]): void;
  /**
   * Subjects whose data in this system is past its retention rule at `now`, a page at a time in a
   * stable order (keyset: `after` is the `cursor` of the last one seen). Reads identifiers and
   * dates only, never a whole list into memory. `totalCount` is counted when `count` is not false.
   */
  retentionCandidates?(now: Date, page: RetentionPageRequest, signal: AbortSignal): Promise<RetentionPage>;

  /**
   * What a person must do in this system for a request type it cannot carry out by API (shown
   * with the WAITING_FOR_OPERATOR task); verification then reads the system again. A system that
   * names a step for ACCESS (or PORTABILITY) is searched by a person: the operator uploads what
   * they found and confirms.
   */
  manualInstructions?(type: ManualRequestType, options?: { liftRestriction?: boolean }): string | undefined;
  /** Who does this system's manual steps and how long they may take (default: no named owner, DEFAULT_MANUAL_DUE_DAYS). */
  readonly manualSteps?: ManualStepSettings;
}

export interface RetentionPageRequest {
  first: number;
  after?: string | null;
  count?: boolean;
}

/** One subject past a retention rule in one system. */
export interface RetentionCandidate {
  /** Opaque position of this candidate in the system's order, for `after`. */
  cursor: string;
  /** Person-level identifiers to erase the subject by (exact, normalised). */
  identifiers: Omit<Identifier, 'source'>[];
  /** The dataset whose rule applies (its rule text is the descriptor's `retention`). */
  dataset: string;
  rule: RetentionRule;
  /** When the rule's period ended: from then on the data should be gone. */
  since: Date;
}

export interface RetentionPage {
  candidates: RetentionCandidate[];
  hasNextPage: boolean;
  /** Every candidate of this system at `now` (undefined when not counted). */
  totalCount?: number;
}

export type ErasureAction = 'DELETE' | 'ANONYMIZE' | 'RETAIN' | 'MANUAL' | 'SUPPRESS';

export interface ErasurePlanStep {
  dataset: string;
  action: ErasureAction;
  records: number;
  /** For RETAIN: when the records may be erased, and why they are kept. */
  retainedUntil?: Date;
  legalBasis?: string;
  note?: string;
}

export interface FieldChange {
  field: string;
  value: string;
}

/** State a connector needs to carry on with work in progress at its system: plain JSON. */
export type ResumeState = { [key: string]: unknown };

/**
 * One hashed address removed from (or being removed from) one audience of an advertising system:
 * systems that cannot say who is in an audience are verified by these records.
 */
export interface AudienceRemoval {
  /** The audience's id at the system (a LinkedIn DMP segment, a Google Ads user list). */
  audience: string;
  /** SHA-256 (hex) of the address as normalised for the system. */
  hash: string;
  /** When the removal was sent (ISO 8601). */
  removedAt: string;
  /** The system's job that carries it out, when it works asynchronously. */
  jobRef?: string;
  /** SUCCESS once the system has applied it; PENDING or RUNNING while its job runs; FAILED. */
  state: 'PENDING' | 'RUNNING' | 'SUCCESS' | 'FAILED';
}

/** What an action did in one system (the contract's SystemTask fields). */
export interface ActionOutcome {
  /** IN_PROGRESS: the system is still working; call again after `checkAgainAfterMs` with `resume`. */
  status: 'SUCCEEDED' | 'NOT_FOUND' | 'RETAINED' | 'WAITING_FOR_OPERATOR' | 'IN_PROGRESS';
  checkAgainAfterMs?: number;
  resume?: ResumeState;
  /** Audience removals done or under way: the gateway records them as the evidence. */
  removals?: AudienceRemoval[];
  recordsDeleted?: number;
  recordsAnonymized?: number;
  recordsRetained?: number;
  retainedUntil?: Date;
  legalBasis?: string;
  /** Safe text: what was done, or what a person must do; never identifiers. */
  note?: string;
}

/** Builds a connector from its settings; one per connector kind. */
export interface ConnectorFactory {
  readonly kind: string;
  create(id: string, settings: import('../config').ConnectorSettings, env: ConnectorEnvironment): Connector;
  /** type-graphql resolvers of this system's typed views on Subject (used when its id is the kind). */
  readonly resolvers?: readonly Function[];
}

export interface ConnectorEnvironment {
  config: import('../config').Config;
  logger: import('../logger').Logger;
  /** Receives every HTTP exchange and breaker change of the connector's client (metrics). */
  observer?: ConnectorObserver;
}

export interface ConnectorObserver {
  httpExchange(exchange: import('./http').HttpExchange): void;
  breakerChanged(system: string, state: import('./http').BreakerState): void;
}

/** Days a manual step may wait for a person when its system does not say. */
export const DEFAULT_MANUAL_DUE_DAYS = 7;

export function emptySnapshot(datasets: readonly DatasetDescriptor[]): SystemSnapshot {
  return { found: false, restricted: false, datasets: datasets.map((d) => ({ name: d.name, records: [] })) };
}

/**
 * A system's job ended FAILED: the removals it carried are recorded as failed and the step is
 * retried later with a new job. The message is safe to show (no identifiers, no upstream text).
 */
export class RemoteJobFailedError extends Error {
  constructor(
    message: string,
    readonly removals: AudienceRemoval[],
  ) {
    super(message);
    this.name = 'RemoteJobFailedError';
  }
}
