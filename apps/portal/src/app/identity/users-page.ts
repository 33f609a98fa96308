import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatSortModule, Sort } from '@angular/material/sort';
import { MatTableModule } from '@angular/material/table';
import { ApiClient, AuthSession, LOADING, LoadState, toLoadState } from '@ailink/portal-data-access';
import type { OidcProvider, User } from '@ailink/shared-contracts';
import { BehaviorSubject, catchError, filter, of, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { sortRows } from '../shared/table';
import { USER_ROLE_LABELS } from './identity-format';
import { UserCreateDialog } from './user-create-dialog';

interface UserRow {
  readonly user: User;
  readonly roleLabel: string;
  readonly signIn: string;
}

const SORT_ACCESSORS: Record<string, (r: UserRow) => string | null> = {
  email: (r) => r.user.email,
  name: (r) => r.user.name,
  role: (r) => r.roleLabel,
  signIn: (r) => r.signIn,
  lastLogin: (r) => r.user.last_login_at,
  created: (r) => r.user.created_at,
};

/** Users of the organisation: those who signed in through SSO or a JWT, and those added ahead of time. */
@Component({
  selector: 'ailink-users-page',
  imports: [DatePipe, MatTableModule, MatSortModule, MatButtonModule, MatProgressBarModule, ApiErrorAlert],
  templateUrl: './users-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UsersPage {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly session = inject(AuthSession);
  private readonly reload$ = new BehaviorSubject<void>(undefined);

  protected readonly columns = ['email', 'name', 'role', 'signIn', 'lastLogin', 'created'];
  protected readonly canCreate = computed(() => {
    this.session.identity();
    return this.session.can('keys:manage');
  });
  protected readonly state = toSignal(this.reload$.pipe(switchMap(() => this.api.users().pipe(toLoadState()))), {
    initialValue: LOADING as LoadState<User[]>,
  });
  /** Provider names (admins only may list providers; others see "SSO"). */
  private readonly providers = toSignal(
    this.session.can('keys:manage', true)
      ? this.api.oidcProviders().pipe(catchError(() => of([] as OidcProvider[])))
      : of([] as OidcProvider[]),
    { initialValue: [] as OidcProvider[] },
  );
  protected readonly sort = signal<Sort>({ active: 'created', direction: 'desc' });
  protected readonly rows = computed(() => {
    const s = this.state();
    if (s.status !== 'ready') return [];
    const names = new Map(this.providers().map((p) => [p.id, p.name]));
    const rows = s.value.map(
      (user): UserRow => ({
        user,
        roleLabel: USER_ROLE_LABELS[user.role],
        signIn: user.oidc_provider_id ? (names.get(user.oidc_provider_id) ?? 'SSO') : '',
      }),
    );
    return sortRows(rows, this.sort(), SORT_ACCESSORS);
  });

  protected openCreate(): void {
    this.dialog
      .open<UserCreateDialog, void, User>(UserCreateDialog, { width: '560px', maxWidth: '95vw' })
      .afterClosed()
      .pipe(filter((user): user is User => !!user))
      .subscribe((user) => {
        this.snackBar.open(`User ${user.email} added.`, 'Dismiss', { duration: 5000 });
        this.reload$.next();
      });
  }
}
