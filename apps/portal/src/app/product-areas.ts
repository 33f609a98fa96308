/** One area of the product as the navigation shows it. */
export interface ProductArea {
  /** Route path below the shell (no leading slash). */
  readonly path: string;
  readonly label: string;
  /** What the area does, in one sentence (shown while it is not available in this build). */
  readonly description: string;
}

/** Areas listed before the Identity group, in navigation order. */
export const MAIN_AREAS: readonly ProductArea[] = [
  {
    path: 'tokens',
    label: 'Tokens',
    description:
      'Issue, scope, suspend and revoke the virtual tokens agents use instead of real provider keys, and see each token’s usage, spend and circuit-breaker state.',
  },
  {
    path: 'credentials',
    label: 'Credentials',
    description:
      'Keep provider API keys and other secrets in the encrypted vault, choose how each one is injected into upstream requests, and rotate them.',
  },
  {
    path: 'services',
    label: 'Services',
    description: 'Register the upstream HTTP services agents may reach through the service proxy at /v1/proxy/services/{name}.',
  },
  {
    path: 'policies',
    label: 'Policies',
    description:
      'Write and version the policy documents that allow, deny, rate-limit, redact, route or hold requests for approval, including rules run in shadow mode.',
  },
  {
    path: 'approvals',
    label: 'Approvals',
    description: 'Review and approve or reject the requests that policies hold for a human decision, live as they arrive.',
  },
  {
    path: 'spend',
    label: 'Spend',
    description: 'Set spend caps and budgets for tokens, teams and projects, and follow spending against them.',
  },
  {
    path: 'audit',
    label: 'Audit log',
    description: 'Search, stream and verify the hash-chained audit record the gateway keeps for every proxied request.',
  },
  {
    path: 'admin-activity',
    label: 'Admin activity',
    description: 'See who changed what through the Management API, and compare each resource before and after the change.',
  },
  {
    path: 'guardrails',
    label: 'Guardrails',
    description:
      'Turn on content-filter presets, PII redaction and external guardrail vendors, and see which guardrails apply to each token.',
  },
  {
    path: 'mcp-servers',
    label: 'MCP servers',
    description: 'Register MCP servers, connect them through OAuth, and choose which of their tools are offered to agents.',
  },
  {
    path: 'webhooks',
    label: 'Webhooks',
    description: 'Subscribe your endpoints to gateway events and inspect the log of each delivery.',
  },
  {
    path: 'analytics',
    label: 'Analytics',
    description: 'Chart traffic, latency, token usage and cost over time, and list the anomalies the gateway detected.',
  },
];

export const IDENTITY_AREAS: readonly ProductArea[] = [
  {
    path: 'identity/users',
    label: 'Users',
    description: 'List the people who signed in through SSO and add users ahead of their first sign-in.',
  },
  {
    path: 'identity/teams',
    label: 'Teams',
    description: 'Group users and tokens into teams with their own budgets, allowed models and tags.',
  },
  {
    path: 'identity/model-access',
    label: 'Model access',
    description: 'Define named groups of model patterns that tokens may call, per project.',
  },
  {
    path: 'identity/api-keys',
    label: 'API keys',
    description: 'Mint and revoke management API keys with a role and scopes, for automation and the admin SDKs.',
  },
  {
    path: 'identity/sso-providers',
    label: 'SSO providers',
    description:
      'Configure OpenID Connect providers for portal single sign-on and API bearer tokens, with their role, scope and group-to-team mappings.',
  },
];

export const SETTINGS_AREA: ProductArea = {
  path: 'settings',
  label: 'Settings',
  description: 'Adjust runtime settings, export and import configuration as code, manage pricing and caches, and rotate the master key.',
};

/** Areas with real pages in this build (each has its own lazily loaded route tree). */
export const BUILT_AREA_PATHS: readonly string[] = [
  'tokens',
  'credentials',
  'services',
  'audit',
  'identity/api-keys',
  'identity/users',
  'identity/teams',
  'identity/model-access',
  'identity/sso-providers',
  'admin-activity',
  'policies',
  'spend',
  'approvals',
];

/** Every area that does not exist yet in this build: routed to the not-available page. */
export const UNAVAILABLE_AREAS: readonly ProductArea[] = [...MAIN_AREAS, ...IDENTITY_AREAS, SETTINGS_AREA].filter(
  (area) => !BUILT_AREA_PATHS.includes(area.path),
);

/** What the signed-in caller needs to see an area (identity.md §2 scopes; `adminOnly` for the catalogue's R routes). */
export interface AreaAccess {
  readonly scope: string;
  readonly adminOnly?: boolean;
}

/**
 * The read access each area's page needs. The navigation hides an area the caller cannot use (the API
 * refuses it anyway); an area missing here is always shown.
 */
export const AREA_ACCESS: Readonly<Record<string, AreaAccess>> = {
  tokens: { scope: 'tokens:read' },
  credentials: { scope: 'credentials:read' },
  services: { scope: 'services:read' },
  policies: { scope: 'policies:read' },
  approvals: { scope: 'approvals:read' },
  spend: { scope: 'tokens:read' },
  audit: { scope: 'audit:read' },
  'admin-activity': { scope: 'audit:read' },
  guardrails: { scope: 'guardrails:read' },
  'mcp-servers': { scope: 'mcp:read' },
  webhooks: { scope: 'webhooks:read' },
  analytics: { scope: 'analytics:read' },
  'identity/users': { scope: 'keys:manage' },
  'identity/teams': { scope: 'tokens:read' },
  'identity/model-access': { scope: 'tokens:read' },
  'identity/api-keys': { scope: 'keys:manage' },
  'identity/sso-providers': { scope: 'keys:manage', adminOnly: true },
  settings: { scope: 'system:read', adminOnly: true },
};
