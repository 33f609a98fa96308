export { AuditModule } from './lib/audit.module';
export { AuditHook } from './lib/audit.hook';
export { AuditWriter, type AuditWriterOptions } from './lib/audit.writer';
export { buildAuditRecord } from './lib/audit-record.builder';
export type { AuditBodies, AuditRecord } from './lib/audit-record';
export { AUDIT_SPILL_KEY, AUDIT_STREAM_CHANNEL } from './lib/audit.constants';
