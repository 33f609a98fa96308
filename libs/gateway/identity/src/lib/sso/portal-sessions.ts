import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { KeyValueStore } from '@ailink/gateway-redis';
import type { UserRole } from '@ailink/shared-contracts';

/** A portal SSO session as stored in Redis (`ailink:portal:{sha256(session id)}`): never the session id itself. */
export interface PortalSession {
  user_id: string;
  org_id: string;
  provider_id: string;
  role: UserRole;
  scopes: string[];
  email: string | null;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

/** The SSO login state (`ailink:sso:{state}`, 10 minutes): PKCE verifier, nonce and landing path. */
export interface SsoLoginState {
  provider_id: string;
  code_verifier: string;
  nonce: string;
  redirect: string;
}

export const SSO_STATE_TTL_SECS = 600;

function sessionKey(id: string): string {
  return `ailink:portal:${createHash('sha256').update(id, 'utf8').digest('hex')}`;
}

function stateKey(state: string): string {
  return `ailink:sso:${state}`;
}

/**
 * Server-side portal sessions and SSO login states in the key-value store (Redis, or the in-process
 * store in embedded mode). The session id (256 random bits) lives only in the browser's HttpOnly
 * cookie; the store holds its SHA-256. Deleting the entry (logout) ends the session on every instance.
 */
@Injectable()
export class PortalSessions {
  constructor(private readonly store: KeyValueStore) {}

  async create(
    data: Omit<PortalSession, 'csrf_token' | 'created_at' | 'expires_at'>,
    ttlSecs: number,
  ): Promise<{ id: string; session: PortalSession }> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session: PortalSession = {
      ...data,
      csrf_token: randomBytes(32).toString('base64url'),
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + ttlSecs * 1000).toISOString(),
    };
    await this.store.set(sessionKey(id), JSON.stringify(session), ttlSecs);
    return { id, session };
  }

  /** The live session, or null (unknown, deleted or expired). */
  async get(id: string): Promise<PortalSession | null> {
    if (id.length < 16 || id.length > 128) return null;
    const raw = await this.store.get(sessionKey(id));
    if (!raw) return null;
    let session: PortalSession;
    try {
      session = JSON.parse(raw) as PortalSession;
    } catch {
      return null;
    }
    return Date.parse(session.expires_at) > Date.now() ? session : null;
  }

  async delete(id: string): Promise<void> {
    await this.store.del(sessionKey(id));
  }

  async saveState(state: string, data: SsoLoginState): Promise<void> {
    await this.store.set(stateKey(state), JSON.stringify(data), SSO_STATE_TTL_SECS);
  }

  /** Takes a login state once: a second callback with the same state finds nothing. */
  async takeState(state: string): Promise<SsoLoginState | null> {
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(state)) return null;
    const raw = await this.store.get(stateKey(state));
    if (!raw) return null;
    if ((await this.store.del(stateKey(state))) === 0) return null;
    try {
      return JSON.parse(raw) as SsoLoginState;
    } catch {
      return null;
    }
  }
}
