import { Router } from '@angular/router';
import type { AuthSession } from './auth-session';
import { LOGIN_PATH } from './auth.guard';

/** After a 401 on the session's key: sign out and go to /login, keeping the current page as `returnUrl`. */
export function endSession(session: AuthSession, router: Router): void {
  session.signOut();
  const current = router.url;
  const onLogin = current.startsWith(`/${LOGIN_PATH}`);
  void router.navigate(['/', LOGIN_PATH], {
    queryParams: onLogin ? {} : { returnUrl: current, reason: 'session-ended' },
  });
}
