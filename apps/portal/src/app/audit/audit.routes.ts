import { Route } from '@angular/router';

export const AUDIT_ROUTES: Route[] = [
  {
    path: '',
    title: 'Audit log',
    loadComponent: () => import('./audit-page').then((m) => m.AuditPage),
  },
];
