/**
 * openid-client 6 is ESM-only. The gateway is compiled to CommonJS, where `await import(…)` becomes
 * `require(…)`; a Function-created `import()` stays a real dynamic import, which Node runs natively in
 * the built gateway and jest runs under `--experimental-vm-modules` (the integration tier). Loaded once,
 * on the first SSO login, so processes that never use SSO never load it.
 */
export type OpenIdClient = typeof import('openid-client');

const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;
let loaded: Promise<OpenIdClient> | undefined;

export function loadOpenIdClient(): Promise<OpenIdClient> {
  loaded ??= (importModule('openid-client') as Promise<OpenIdClient>).catch((error: unknown) => {
    loaded = undefined;
    throw error;
  });
  return loaded;
}
