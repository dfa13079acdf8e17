import { AuditTrail1764100000000 } from './1764100000000-audit-trail';

/** Every migration, oldest first. */
export const MIGRATIONS = [AuditTrail1764100000000];
