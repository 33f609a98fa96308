import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatTabsModule } from '@angular/material/tabs';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { AuthSession } from '@ailink/portal-data-access';

interface SpendTab {
  readonly path: string;
  readonly label: string;
  readonly scope: string;
}

/** The pages of the Spend area (`pricing:read`, `audit:read`); each tab is shown when the caller can read it. */
export const SPEND_TABS: readonly SpendTab[] = [
  { path: '/spend/pricing', label: 'Pricing', scope: 'pricing:read' },
  { path: '/spend/sessions', label: 'Sessions', scope: 'audit:read' },
];

/** The Spend area: a tab link per page above the page itself. Token caps live on each token's page. */
@Component({
  selector: 'ailink-spend-layout',
  imports: [MatTabsModule, RouterLink, RouterLinkActive, RouterOutlet],
  template: `
    <nav mat-tab-nav-bar [tabPanel]="panel" aria-label="Spend pages" class="spend-tabs">
      @for (tab of tabs(); track tab.path) {
        <a mat-tab-link [routerLink]="tab.path" routerLinkActive #rla="routerLinkActive" [active]="rla.isActive">{{ tab.label }}</a>
      }
    </nav>
    <mat-tab-nav-panel #panel>
      <router-outlet />
    </mat-tab-nav-panel>
  `,
  styles: `
    .spend-tabs {
      margin-bottom: 16px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SpendLayout {
  private readonly session = inject(AuthSession);
  protected readonly tabs = computed(() => {
    this.session.identity();
    const usable = SPEND_TABS.filter((tab) => this.session.can(tab.scope));
    return usable.length ? usable : SPEND_TABS;
  });
}
