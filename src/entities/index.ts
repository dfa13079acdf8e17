import { AuditChainHeadEntity } from './audit-chain-head.entity';
import { AuditEventEntity } from './audit-event.entity';
import { DownloadLinkEntity } from './download-link.entity';
import { DsrRequestEntity } from './dsr-request.entity';
import { DsrTaskEntity } from './dsr-task.entity';
import { TombstoneEntity } from './tombstone.entity';

export { AuditChainHeadEntity, AuditEventEntity, DownloadLinkEntity, DsrRequestEntity, DsrTaskEntity, TombstoneEntity };
export const ENTITIES = [AuditEventEntity, AuditChainHeadEntity, DsrRequestEntity, DsrTaskEntity, DownloadLinkEntity, TombstoneEntity];
