import { Route } from '@angular/router';
import { LOGIN_PATH, authGuard, guestGuard } from '@ailink/portal-data-access';
import { UNAVAILABLE_AREAS } from './product-areas';

/** Every page is lazily loaded; everything except /login sits behind the auth guard inside the shell. */
export const appRoutes: Route[] = [
  {
    path: LOGIN_PATH,
    title: 'Sign in',
    canActivate: [guestGuard],
    loadComponent: () => import('./login/login-page').then((m) => m.LoginPage),
  },
  {
    path: '',
    canActivate: [authGuard],
    canActivateChild: [authGuard],
    loadComponent: () => import('./shell/shell').then((m) => m.Shell),
    children: [
      {
        path: '',
        pathMatch: 'full',
        title: 'Overview',
        loadComponent: () => import('./overview/overview-page').then((m) => m.OverviewPage),
      },
      { path: 'tokens', loadChildren: () => import('./tokens/tokens.routes').then((m) => m.TOKENS_ROUTES) },
      { path: 'credentials', loadChildren: () => import('./credentials/credentials.routes').then((m) => m.CREDENTIALS_ROUTES) },
      { path: 'services', loadChildren: () => import('./services/services.routes').then((m) => m.SERVICES_ROUTES) },
      { path: 'policies', loadChildren: () => import('./policies/policies.routes').then((m) => m.POLICIES_ROUTES) },
      { path: 'approvals', loadChildren: () => import('./approvals/approvals.routes').then((m) => m.APPROVALS_ROUTES) },
      { path: 'audit', loadChildren: () => import('./audit/audit.routes').then((m) => m.AUDIT_ROUTES) },
      { path: 'spend', loadChildren: () => import('./spend/spend.routes').then((m) => m.SPEND_ROUTES) },
      {
        path: 'admin-activity',
        loadChildren: () => import('./admin-activity/admin-activity.routes').then((m) => m.ADMIN_ACTIVITY_ROUTES),
      },
      { path: 'identity/api-keys', loadChildren: () => import('./api-keys/api-keys.routes').then((m) => m.API_KEYS_ROUTES) },
      { path: 'identity/users', loadChildren: () => import('./identity/identity.routes').then((m) => m.USERS_ROUTES) },
      { path: 'identity/teams', loadChildren: () => import('./identity/identity.routes').then((m) => m.TEAMS_ROUTES) },
      { path: 'identity/model-access', loadChildren: () => import('./identity/identity.routes').then((m) => m.MODEL_ACCESS_ROUTES) },
      {
        path: 'identity/sso-providers',
        loadChildren: () => import('./identity/identity.routes').then((m) => m.SSO_PROVIDERS_ROUTES),
      },
      { path: 'identity', pathMatch: 'full', redirectTo: 'identity/users' },
      ...UNAVAILABLE_AREAS.map(
        (area): Route => ({
          path: area.path,
          title: area.label,
          data: { area },
          loadComponent: () => import('./not-available/not-available-page').then((m) => m.NotAvailablePage),
        }),
      ),
      {
        path: '**',
        title: 'Page not found',
        loadComponent: () => import('./not-found/not-found-page').then((m) => m.NotFoundPage),
      },
    ],
  },
];
