import { AuditChainHeadEntity } from './audit-chain-head.entity';
import { AuditEventEntity } from './audit-event.entity';

export { AuditChainHeadEntity, AuditEventEntity };
export const ENTITIES = [AuditEventEntity, AuditChainHeadEntity];
