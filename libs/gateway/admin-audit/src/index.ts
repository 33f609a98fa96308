export { AdminAuditModule, ADMIN_AUDIT_ENTITIES } from './lib/admin-audit.module';
export { AdminAuditLogEntity } from './lib/entities/admin-audit-log.entity';
export { AdminAuditWriter, ADMIN_AUDIT_SPILL_KEY } from './lib/admin-audit.writer';
export { AdminAuditSnapshotRegistry } from './lib/admin-audit-snapshots';
export { maskSecrets, maskSecretsInText, maskPath, isSecretFieldName } from './lib/admin-audit-mask';
