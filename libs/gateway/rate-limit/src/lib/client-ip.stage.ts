import { Injectable } from '@nestjs/common';
import { AppConfig, TrustedProxies } from '@ailink/gateway-core';
import type { ProxyContext, ProxyStage } from '@ailink/gateway-proxy';

/**
 * Proxy stage `client-ip` (proxy.md §3): replaces `ctx.clientIp` (the socket peer) with `context.ip`
 * — the first `X-Forwarded-For` hop, else `X-Real-IP`, only when the peer is in
 * `AILINK_TRUSTED_PROXY_CIDRS`; otherwise the socket address, normalised (`::ffff:a.b.c.d` → `a.b.c.d`).
 * Runs before policy evaluation, so `context.ip` conditions and `per_ip` limits see the same address.
 */
@Injectable()
export class ClientIpStage implements ProxyStage {
  readonly name = 'client-ip';
  private readonly proxies: TrustedProxies;

  constructor(config: AppConfig) {
    this.proxies = new TrustedProxies(config.trustedProxyCidrs);
  }

  run(ctx: ProxyContext): void {
    ctx.clientIp = this.proxies.clientIp(ctx.clientIp, ctx.headers);
  }
}
