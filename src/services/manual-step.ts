/**
 * Steps that wait for a person in a system without an API (or without an API for that request
 * type): who does them, what they must do, and when their time is up.
 */
import { DEFAULT_MANUAL_DUE_DAYS, type Connector, type ManualStepSettings } from '../connectors/connector';
import type { TaskOutcome } from '../jobs/worker';

const DAY_MS = 86_400_000;

/** The system's manual-step settings, with the defaults for a system that names none. */
export function manualStepsOf(connector: Connector): ManualStepSettings {
  return connector.manualSteps ?? { owner: '', dueDays: DEFAULT_MANUAL_DUE_DAYS, readable: true };
}

/** A step that waits for a person: the instructions as its note, its owner, its own deadline. */
export function waitingForOperator(connector: Connector, instructions: string, now = new Date()): TaskOutcome {
  const { owner, dueDays } = manualStepsOf(connector);
  return {
    status: 'WAITING_FOR_OPERATOR',
    note: instructions,
    dueAt: new Date(now.getTime() + dueDays * DAY_MS).toISOString(),
    result: { outcome: { status: 'WAITING_FOR_OPERATOR', note: instructions }, ...(owner ? { owner } : {}) },
  };
}
