import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { AuthSession } from './auth-session';

export const LOGIN_PATH = 'login';

/**
 * Lets signed-in users through; sends everyone else to /login with the requested URL
 * as `returnUrl` so deep links survive the sign-in. Use as `canActivate` and `canActivateChild`.
 */
export const authGuard: CanActivateFn = (_route, state) => {
  if (inject(AuthSession).isAuthenticated()) return true;
  return inject(Router).createUrlTree(['/', LOGIN_PATH], {
    queryParams: { returnUrl: state.url },
  });
};

/** Keeps signed-in users off the login page. */
export const guestGuard: CanActivateFn = () => (inject(AuthSession).isAuthenticated() ? inject(Router).createUrlTree(['/']) : true);

/**
 * The in-app URL to continue to after sign-in: only a relative path starting with a single `/`
 * (never another origin, never the login page itself); anything else yields `/`.
 */
export function safeReturnUrl(value: string | null | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) {
    return '/';
  }
  if (value === `/${LOGIN_PATH}` || value.startsWith(`/${LOGIN_PATH}?`) || value.startsWith(`/${LOGIN_PATH}/`)) {
    return '/';
  }
  return value;
}
