import { AuditTrail1764100000000 } from './1764100000000-audit-trail';
import { Requests1764200000000 } from './1764200000000-requests';
import { Erasure1764300000000 } from './1764300000000-erasure';
import { AudienceRemovals1764400000000 } from './1764400000000-audience-removals';
import { ManualSteps1764500000000 } from './1764500000000-manual-steps';
import { Retention1764600000000 } from './1764600000000-retention';

/** Every migration, oldest first. */
export const MIGRATIONS = [AuditTrail1764100000000, Requests1764200000000, Erasure1764300000000, AudienceRemovals1764400000000, ManualSteps1764500000000, Retention1764600000000];
