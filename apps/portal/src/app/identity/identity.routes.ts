import { Route } from '@angular/router';

export const USERS_ROUTES: Route[] = [{ path: '', title: 'Users', loadComponent: () => import('./users-page').then((m) => m.UsersPage) }];

export const TEAMS_ROUTES: Route[] = [{ path: '', title: 'Teams', loadComponent: () => import('./teams-page').then((m) => m.TeamsPage) }];

export const MODEL_ACCESS_ROUTES: Route[] = [
  { path: '', title: 'Model access', loadComponent: () => import('./model-access-page').then((m) => m.ModelAccessPage) },
];

export const SSO_PROVIDERS_ROUTES: Route[] = [
  { path: '', title: 'SSO providers', loadComponent: () => import('./sso-providers-page').then((m) => m.SsoProvidersPage) },
];
