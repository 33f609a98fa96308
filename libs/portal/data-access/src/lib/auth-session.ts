import { Injectable, computed, inject, signal } from '@angular/core';
import type { WhoAmIResponse } from '@ailink/shared-contracts';
import { Observable, tap } from 'rxjs';
import { ApiClient } from './api-client';

/**
 * The signed-in admin session. The key lives in this service's memory only — never in
 * localStorage, sessionStorage or cookies — so a reload signs the user out (by design).
 */
@Injectable({ providedIn: 'root' })
export class AuthSession {
  private readonly api = inject(ApiClient);
  private readonly key = signal<string | null>(null);
  private readonly who = signal<WhoAmIResponse | null>(null);

  /** The admin key sent as `X-Admin-Key`, or null when signed out. */
  readonly adminKey = this.key.asReadonly();
  /** The caller as reported by `GET /auth/whoami` at sign-in. */
  readonly identity = this.who.asReadonly();
  readonly isAuthenticated = computed(() => this.key() !== null && this.who() !== null);

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

  /** Updates the identity after a later whoami call (the key is unchanged). */
  updateIdentity(identity: WhoAmIResponse): void {
    if (this.key() !== null) this.who.set(identity);
  }

  signOut(): void {
    this.key.set(null);
    this.who.set(null);
  }
}
