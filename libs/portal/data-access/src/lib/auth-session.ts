import { Injectable, computed, inject, signal } from '@angular/core';
import type { WhoAmIResponse } from '@ailink/shared-contracts';
import { Observable, catchError, map, of, tap } from 'rxjs';
import { ApiClient } from './api-client';
import { canUse } from './permissions';

/** A portal SSO session (identity.md §4): the cookie is HttpOnly; the CSRF token lives in memory. */
interface SsoSession {
  readonly csrfToken: string;
  readonly expiresAt: string;
}

/**
 * The signed-in admin session. The key lives in this service's memory only — never in
 * localStorage, sessionStorage or cookies — so a reload signs the user out (by design).
 *
 * Alternatively the user signed in through SSO: the gateway holds the session behind the HttpOnly
 * `ailink_session` cookie, `restoreSession()` picks it up at start (`GET /auth/session`), and the
 * CSRF token it answers is kept in memory for unsafe requests.
 */
@Injectable({ providedIn: 'root' })
export class AuthSession {
  private readonly api = inject(ApiClient);
  private readonly key = signal<string | null>(null);
  private readonly who = signal<WhoAmIResponse | null>(null);
  private readonly sso = signal<SsoSession | null>(null);

  /** The admin key sent as `X-Admin-Key`, or null when signed out. */
  readonly adminKey = this.key.asReadonly();
  /** The caller as reported by `GET /auth/whoami` at sign-in. */
  readonly identity = this.who.asReadonly();
  readonly isAuthenticated = computed(() => this.who() !== null && (this.key() !== null || this.sso() !== null));
  /** The CSRF token of an SSO session (sent as `X-CSRF-Token` on unsafe requests), else null. */
  readonly csrfToken = computed(() => this.sso()?.csrfToken ?? null);
  /** True while signed in through SSO (cookie session) rather than with a key. */
  readonly isSsoSession = computed(() => this.sso() !== null && this.who() !== null);

  /**
   * Verifies `adminKey` with whoami and, only if the gateway accepts it, starts the session.
   * Errors (wrong key: 401 `unauthorized`) propagate as `ApiError` and leave the session signed out.
   */
  signIn(adminKey: string): Observable<WhoAmIResponse> {
    return this.api.whoami(adminKey).pipe(
      tap((identity) => {
        this.key.set(adminKey);
        this.who.set(identity);
      }),
    );
  }

  /**
   * Picks up an SSO session the browser already holds (`GET /auth/session`, cookie only): true when
   * there is one. Never throws: without a session the portal simply starts signed out.
   */
  restoreSession(): Observable<boolean> {
    if (this.key() !== null) return of(true);
    return this.api.portalSession().pipe(
      tap((session) => {
        const { csrf_token, expires_at, ...identity } = session;
        this.sso.set({ csrfToken: csrf_token, expiresAt: expires_at });
        this.who.set(identity);
      }),
      map(() => true),
      catchError(() => of(false)),
    );
  }

  /** Whether the signed-in caller may use something needing `scope` (identity.md §2; the API enforces it anyway). */
  can(scope: string, adminOnly = false): boolean {
    return canUse(this.who(), scope, adminOnly);
  }

  /** Updates the identity after a later whoami call (the key is unchanged). */
  updateIdentity(identity: WhoAmIResponse): void {
    if (this.key() !== null || this.sso() !== null) this.who.set(identity);
  }

  /** Forgets the key; an SSO session is also ended at the gateway (`POST /auth/logout`). */
  signOut(): void {
    const sso = this.sso();
    if (sso !== null) this.api.logout(sso.csrfToken).subscribe({ error: () => undefined });
    this.key.set(null);
    this.who.set(null);
    this.sso.set(null);
  }
}
