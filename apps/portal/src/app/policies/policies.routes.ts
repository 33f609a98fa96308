import { Route } from '@angular/router';

export const POLICIES_ROUTES: Route[] = [
  {
    path: '',
    title: 'Policies',
    loadComponent: () => import('./policies-page').then((m) => m.PoliciesPage),
  },
  {
    path: 'new',
    title: 'New policy',
    loadComponent: () => import('./policy-editor-page').then((m) => m.PolicyEditorPage),
  },
  {
    path: ':id',
    title: 'Policy',
    loadComponent: () => import('./policy-editor-page').then((m) => m.PolicyEditorPage),
  },
];
