import { Route } from '@angular/router';

export const TOKENS_ROUTES: Route[] = [
  {
    path: '',
    title: 'Tokens',
    loadComponent: () => import('./tokens-page').then((m) => m.TokensPage),
  },
  {
    path: ':id',
    title: 'Token details',
    loadComponent: () => import('./token-detail-page').then((m) => m.TokenDetailPage),
  },
];
