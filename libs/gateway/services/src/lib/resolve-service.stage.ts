import { Injectable } from '@nestjs/common';
import { ErrorCode, GatewayError, redactVirtualTokens } from '@ailink/gateway-core';
import type { ProxyContext, ProxyStage } from '@ailink/gateway-proxy';
import { ServiceCache } from './service-cache';
import { SERVICE_NAME } from './services.dto';

/**
 * Proxy stage `resolve-service` (proxy.md §1, route `/v1/proxy/services/{name}/{rest}`): for the
 * service route only, resolves `ctx.serviceName` in the token's project and sets the base URL
 * (`targetBaseUrl` and `serviceBaseUrl`)
 * and the credential to inject (null = passthrough). Unknown or inactive → 502 `upstream_failed`.
 * Runs after `resolve-token`; `ctx.upstreamPath` already holds `/{rest}`.
 */
@Injectable()
export class ResolveServiceStage implements ProxyStage {
  readonly name = 'resolve-service';

  constructor(private readonly services: ServiceCache) {}

  async run(ctx: ProxyContext): Promise<void> {
    if (ctx.route !== 'service') return;
    if (!ctx.token) throw new GatewayError(ErrorCode.InternalServerError, 'resolve-service ran before resolve-token');
    const name = ctx.serviceName ?? '';
    const service = SERVICE_NAME.test(name) ? await this.services.get(ctx.token.projectId, name) : null;
    if (!service) throw new GatewayError(ErrorCode.UpstreamFailed, `Unknown service '${redactVirtualTokens(name).slice(0, 100)}'`);
    ctx.targetBaseUrl = service.baseUrl;
    ctx.credentialId = service.credentialId ?? null;
    ctx.serviceBaseUrl = service.baseUrl;
    ctx.serviceCredentialId = ctx.credentialId;
  }
}
