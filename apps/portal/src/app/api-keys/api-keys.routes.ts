import { Route } from '@angular/router';

export const API_KEYS_ROUTES: Route[] = [
  {
    path: '',
    title: 'API keys',
    loadComponent: () => import('./api-keys-page').then((m) => m.ApiKeysPage),
  },
];
