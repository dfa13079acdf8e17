import { AudienceRemovalEntity } from './audience-removal.entity';
import { AuditChainHeadEntity } from './audit-chain-head.entity';
import { AuditEventEntity } from './audit-event.entity';
import { DownloadLinkEntity } from './download-link.entity';
import { DsrRequestEntity } from './dsr-request.entity';
import { DsrTaskEntity } from './dsr-task.entity';
import { ManualUploadEntity } from './manual-upload.entity';
import { RequestIdentifierEntity } from './request-identifier.entity';
import { TombstoneEntity } from './tombstone.entity';

export { AudienceRemovalEntity, AuditChainHeadEntity, AuditEventEntity, DownloadLinkEntity, DsrRequestEntity, DsrTaskEntity, ManualUploadEntity, RequestIdentifierEntity, TombstoneEntity };
export const ENTITIES = [AuditEventEntity, AuditChainHeadEntity, DsrRequestEntity, DsrTaskEntity, DownloadLinkEntity, TombstoneEntity, RequestIdentifierEntity, AudienceRemovalEntity, ManualUploadEntity];
