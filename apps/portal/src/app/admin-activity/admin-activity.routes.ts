import { Route } from '@angular/router';

export const ADMIN_ACTIVITY_ROUTES: Route[] = [
  {
    path: '',
    title: 'Admin activity',
    loadComponent: () => import('./admin-activity-page').then((m) => m.AdminActivityPage),
  },
];
