import { inject } from '@angular/core';
import { Route } from '@angular/router';
import { AuthSession } from '@ailink/portal-data-access';

/** `/spend` opens the first page the caller can read: the price table, else the sessions. */
export function spendHome(): string {
  const session = inject(AuthSession);
  return !session.can('pricing:read') && session.can('audit:read') ? '/spend/sessions' : '/spend/pricing';
}

export const SPEND_ROUTES: Route[] = [
  {
    path: '',
    loadComponent: () => import('./spend-layout').then((m) => m.SpendLayout),
    children: [
      { path: '', pathMatch: 'full', redirectTo: spendHome },
      { path: 'pricing', title: 'Pricing', loadComponent: () => import('./pricing-page').then((m) => m.PricingPage) },
      { path: 'sessions', title: 'Sessions', loadComponent: () => import('./sessions-page').then((m) => m.SessionsPage) },
    ],
  },
];
