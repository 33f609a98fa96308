import { Route } from '@angular/router';

export const APPROVALS_ROUTES: Route[] = [
  {
    path: '',
    title: 'Approvals',
    loadComponent: () => import('./approvals-page').then((m) => m.ApprovalsPage),
  },
];
