import { Route } from '@angular/router';

export const CREDENTIALS_ROUTES: Route[] = [
  {
    path: '',
    title: 'Credentials',
    loadComponent: () => import('./credentials-page').then((m) => m.CredentialsPage),
  },
];
