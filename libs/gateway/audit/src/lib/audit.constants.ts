/** Redis list receiving records the in-process buffer could not hold (data-model.md "Redis keyspace"). */
export const AUDIT_SPILL_KEY = 'ailink:audit:spill';

/** Pub/sub channel on which every flusher announces the summaries it has just written. */
export const AUDIT_STREAM_CHANNEL = 'ailink:audit:written';

/**
 * Pub/sub channel on which an instance announces that it has started listening to
 * {@link AUDIT_STREAM_CHANNEL}: flushers that stopped publishing (nobody was listening) resume.
 */
export const AUDIT_STREAM_HELLO_CHANNEL = 'ailink:audit:stream-hello';

/** Singleton lock of the maintenance job (partitions ahead). */
export const AUDIT_MAINTENANCE_LOCK_KEY = 'ailink:lock:audit-maintenance';
