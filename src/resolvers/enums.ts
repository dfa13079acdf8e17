import { registerEnumType } from 'type-graphql';

const asEnum = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const Role = asEnum(['VIEWER', 'OPERATOR', 'APPROVER', 'AUDITOR'] as const);
export const Provenance = asEnum(['PROVIDED', 'OBSERVED', 'DERIVED'] as const);
export const LegalBasis = asEnum(['CONSENT', 'CONTRACT', 'LEGAL_OBLIGATION', 'LEGITIMATE_INTEREST'] as const);
export const Capability = asEnum(['ACCESS', 'ERASURE', 'RECTIFICATION', 'RESTRICTION', 'MARKETING_SUPPRESSION', 'MANUAL_STEPS'] as const);
export const SystemStatus = asEnum(['OK', 'NOT_FOUND', 'ERROR', 'TIMEOUT'] as const);

registerEnumType(Role, { name: 'Role' });
registerEnumType(Provenance, { name: 'Provenance', description: 'GDPR Art. 20 scope: PROVIDED + OBSERVED' });
registerEnumType(LegalBasis, { name: 'LegalBasis' });
registerEnumType(Capability, { name: 'Capability' });
registerEnumType(SystemStatus, { name: 'SystemStatus' });

export const RequestType = asEnum(['ACCESS', 'PORTABILITY', 'ERASURE', 'RECTIFICATION', 'RESTRICTION', 'OBJECTION'] as const);
export const RequestStatus = asEnum(['AWAITING_APPROVAL', 'IN_PROGRESS', 'AWAITING_MANUAL_STEPS', 'COMPLETED', 'PARTIALLY_COMPLETED', 'REJECTED', 'CANCELLED'] as const);
export const TaskStatus = asEnum(['PENDING', 'RUNNING', 'SUCCEEDED', 'NOT_FOUND', 'RETAINED', 'FAILED', 'WAITING_FOR_OPERATOR', 'SKIPPED'] as const);

export const RequestOrigin = asEnum(['OPERATOR', 'RETENTION'] as const);

registerEnumType(RequestType, { name: 'RequestType' });
registerEnumType(RequestOrigin, { name: 'RequestOrigin', description: 'OPERATOR: submitted by a person; RETENTION: proposed by a retention sweep' });
registerEnumType(RequestStatus, { name: 'RequestStatus' });
registerEnumType(TaskStatus, { name: 'TaskStatus' });

export const ErasureAction = asEnum(['DELETE', 'ANONYMIZE', 'RETAIN', 'MANUAL', 'SUPPRESS'] as const);
registerEnumType(ErasureAction, { name: 'ErasureAction' });
