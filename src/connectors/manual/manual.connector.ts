import type { ConnectorSettings } from '../../config';
import {
  emptySnapshot,
  IDENTIFIER_KINDS,
  type Capability,
  type Connector,
  type ConnectorFactory,
  type ErasurePlanStep,
  type ManualRequestType,
  type ManualStepSettings,
  type SubjectKey,
  type SystemDescriptor,
  type SystemSnapshot,
} from '../connector';
import { parseSettings } from '../http/settings';
import { manualSettingsSchema, type ManualSettings } from './manual.settings';

/** The capability each request type with instructions gives the system. */
const CAPABILITY: Partial<Record<ManualRequestType, Capability>> = {
  ACCESS: 'ACCESS',
  ERASURE: 'ERASURE',
  RECTIFICATION: 'RECTIFICATION',
  RESTRICTION: 'RESTRICTION',
  OBJECTION: 'MARKETING_SUPPRESSION',
};
const CAPABILITY_ORDER: readonly Capability[] = ['ACCESS', 'ERASURE', 'RECTIFICATION', 'RESTRICTION', 'MARKETING_SUPPRESSION', 'MANUAL_STEPS'];

/**
 * A system without an API (payroll, Office 365 files, Teams): its data map comes from the
 * configuration, and every request becomes a task for the role that owns the system. The gateway
 * cannot read it: a live view shows NOT_FOUND with a note that a person must look; an access
 * request waits for the files an operator uploads; an erasure waits for a person's confirmation,
 * which is all the verification there can be.
 */
export class ManualConnector implements Connector {
  readonly system: SystemDescriptor;
  /** A person can search by any identifier the gateway knows. */
  readonly accepts = IDENTIFIER_KINDS;
  readonly manualSteps: ManualStepSettings;

  constructor(
    readonly id: string,
    private readonly settings: ManualSettings,
  ) {
    const types = Object.keys(settings.instructions).filter((t) => settings.instructions[t as ManualRequestType]) as ManualRequestType[];
    const capabilities = new Set<Capability>(['MANUAL_STEPS', ...types.flatMap((t) => CAPABILITY[t] ?? [])]);
    this.system = {
      name: settings.name,
      ...(settings.processor ? { processor: settings.processor } : {}),
      location: settings.location,
      ...(settings.transferSafeguard ? { transferSafeguard: settings.transferSafeguard } : {}),
      capabilities: CAPABILITY_ORDER.filter((c) => capabilities.has(c)),
      datasets: settings.datasets.map((d) => ({ ...d, purposes: [...d.purposes], fields: d.fields.map((f) => ({ ...f })) })),
    };
    this.manualSteps = { owner: settings.owner, dueDays: settings.dueDays, readable: false };
  }

  /** Holds nothing the gateway can read: every subject is NOT_FOUND here, with a note saying why. */
  async collect(subjects: SubjectKey[]): Promise<SystemSnapshot[]> {
    const note =
      `${this.system.name} has no API: the gateway cannot see what it holds. ` +
      `A person (${this.settings.owner}) must look; an access request creates that task.`;
    return subjects.map(() => ({ ...emptySnapshot(this.system.datasets), note }));
  }

  /** The plan cannot count records: it names the manual step and who does it. */
  async planErasure(): Promise<ErasurePlanStep[]> {
    const instructions = this.manualInstructions('ERASURE');
    if (!instructions) return [];
    return [{ dataset: '*', action: 'MANUAL', records: 0, note: `Records unknown: ${this.system.name} can only be searched by a person. ${instructions}` }];
  }

  /** The configured instructions for a request type, with the role that carries them out; PORTABILITY falls back to ACCESS. */
  manualInstructions(type: ManualRequestType, options: { liftRestriction?: boolean } = {}): string | undefined {
    if (type === 'RESTRICTION' && options.liftRestriction) return this.liftInstructions();
    const text = this.settings.instructions[type] ?? (type === 'PORTABILITY' ? this.settings.instructions.ACCESS : undefined);
    return text ? `${this.settings.owner}: ${text}` : undefined;
  }

  /** Lifting a restriction: the configured text, or else undoing what the restriction's step did. */
  private liftInstructions(): string | undefined {
    const { LIFT_RESTRICTION: lift, RESTRICTION: imposed } = this.settings.instructions;
    if (lift) return `${this.settings.owner}: ${lift}`;
    if (!imposed) return undefined;
    return (
      `${this.settings.owner}: Lift the restriction of processing (Art. 18): undo what was done in ${this.system.name} when it was imposed, ` +
      `so the data is used as before, and confirm what you changed. When it was imposed the step was: ${imposed}`
    );
  }
}

export const manualConnectorFactory: ConnectorFactory = {
  kind: 'manual',
  create(id: string, settings: ConnectorSettings): Connector {
    return new ManualConnector(id, parseSettings(id, manualSettingsSchema, settings));
  },
};
