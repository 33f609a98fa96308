import { ADMIN_AUDIT_METHODS, type AdminAuditMethod } from '@ailink/shared-contracts';

/** The Management API base; only routes below it are recorded. */
export const MANAGEMENT_PREFIX = '/api/v1';

/**
 * POST routes that change nothing (they validate, test a connection, discover or render): not
 * writes, so not recorded. Routes can also opt out with `@SkipAdminAudit()`.
 */
export const NOT_RECORDED_ROUTES: ReadonlySet<string> = new Set([
  'POST /policies/validate',
  'POST /webhooks/test',
  'POST /webhooks/:id/test',
  'POST /mcp/servers/test',
  'POST /mcp/servers/discover',
  'POST /oidc/providers/test',
  'POST /prompts/by-slug/:slug/render',
  'POST /auth/logout',
]);

/**
 * Routes whose response must not be stored even masked: PII rehydration answers with the original
 * personal data. Their "after" is the (masked) request body instead.
 */
export const RESPONSE_NOT_RECORDED_ROUTES: ReadonlySet<string> = new Set(['POST /pii/rehydrate']);

export function isRecordedMethod(method: string): method is AdminAuditMethod {
  return (ADMIN_AUDIT_METHODS as readonly string[]).includes(method);
}

/** `/api/v1/tokens/:id` → `/tokens/:id`; null outside the Management API. */
export function managementRoute(pattern: string | undefined): string | null {
  if (!pattern) return null;
  if (pattern === MANAGEMENT_PREFIX) return '/';
  if (!pattern.startsWith(`${MANAGEMENT_PREFIX}/`)) return null;
  const route = pattern.slice(MANAGEMENT_PREFIX.length).replace(/\/+$/, '');
  return route === '' ? '/' : route;
}

/** The names of a route pattern's parameters, in order (`/teams/:id/members/:user_id` → `['id', 'user_id']`). */
export function routeParams(route: string): string[] {
  return route
    .split('/')
    .filter((segment) => segment.startsWith(':'))
    .map((segment) => segment.slice(1).replace(/\?$/, ''));
}

/** `policies` → `policy`, `model-aliases` → `model-alias`, `keys` → `key`, `services` → `service`. */
export function singular(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (/(ss|us|is)$/.test(word)) return word;
  if (/(ases|xes|ches|shes|sses)$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

/**
 * The `resource_kind` of a route no snapshot provider describes: its literal segments, each made
 * singular, joined by dots (`/teams/:id/members/:user_id` → `team.member`, `/tokens/:id/spend` →
 * `token.spend`, `/system/flush-cache` → `system.flush-cache`).
 */
export function deriveResourceKind(route: string): string {
  const words = route
    .split('/')
    .filter((segment) => segment !== '' && !segment.startsWith(':'))
    .map(singular);
  return words.length ? words.join('.') : 'api';
}
