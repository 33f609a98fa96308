import { DOCUMENT } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatListModule } from '@angular/material/list';
import { MatSidenavModule } from '@angular/material/sidenav';
import { MatToolbarModule } from '@angular/material/toolbar';
import { Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { AuthSession, LOGIN_PATH } from '@ailink/portal-data-access';
import { authMethodLabel } from '../auth-method-label';
import { AREA_ACCESS, IDENTITY_AREAS, MAIN_AREAS, SETTINGS_AREA, type ProductArea } from '../product-areas';
import { ThemeService } from '../theme';

/** The signed-in layout: toolbar, navigation for every product area, and the page outlet. */
@Component({
  selector: 'ailink-shell',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, MatToolbarModule, MatSidenavModule, MatListModule, MatButtonModule],
  templateUrl: './shell.html',
  styleUrl: './shell.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class Shell {
  private readonly session = inject(AuthSession);
  private readonly router = inject(Router);
  private readonly document = inject(DOCUMENT);
  protected readonly theme = inject(ThemeService);

  protected readonly identity = this.session.identity;
  /** The areas the signed-in role can use (whoami's role and scopes); the API enforces access regardless. */
  protected readonly mainAreas = computed(() => MAIN_AREAS.filter((area) => this.visible(area)));
  protected readonly identityAreas = computed(() => IDENTITY_AREAS.filter((area) => this.visible(area)));
  protected readonly settingsArea = SETTINGS_AREA;
  protected readonly showSettings = computed(() => this.visible(SETTINGS_AREA));
  protected readonly authMethod = computed(() => {
    const who = this.identity();
    return who ? authMethodLabel(who.auth_method) : '';
  });

  /** Moves focus to the main region without changing the URL (a `#fragment` href would, with `<base href>`). */
  protected skipToContent(event: Event): void {
    event.preventDefault();
    this.document.getElementById('main-content')?.focus();
  }

  private visible(area: ProductArea): boolean {
    this.identity();
    const access = AREA_ACCESS[area.path];
    return !access || this.session.can(access.scope, access.adminOnly);
  }

  protected signOut(): void {
    this.session.signOut();
    void this.router.navigate(['/', LOGIN_PATH]);
  }
}
