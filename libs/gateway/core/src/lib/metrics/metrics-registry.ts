import { Registry } from 'prom-client';

/**
 * The process's one Prometheus registry. Features register their `ailink_*` metrics here (never
 * with a token id as a label); `/metrics` renders it.
 */
export const METRICS_REGISTRY = new Registry();
