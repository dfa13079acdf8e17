import { AuditTrail1764100000000 } from './1764100000000-audit-trail';
import { Requests1764200000000 } from './1764200000000-requests';
import { Erasure1764300000000 } from './1764300000000-erasure';
import { Retention1764600000000 } from './1764600000000-retention';

/** Every migration, oldest first. */
export const MIGRATIONS = [AuditTrail1764100000000, Requests1764200000000, Erasure1764300000000, Retention1764600000000];
