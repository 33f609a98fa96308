import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { ApiClient, ApiError, AuthSession, LOADING, LoadState, toApiError, toLoadState } from '@ailink/portal-data-access';
import { TEAM_MEMBER_ROLES, type Team, type TeamMember, type TeamMemberRole, type TeamSpendRow, type User } from '@ailink/shared-contracts';
import { BehaviorSubject, catchError, of, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { budgetSummary } from './identity-format';

export interface TeamMembersDialogData {
  readonly team: Team;
}

const ROLE_LABELS: Readonly<Record<TeamMemberRole, string>> = { admin: 'Team admin', member: 'Member', viewer: 'Viewer' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A team's members (add, remove) and its recent spend against the budget. */
@Component({
  selector: 'ailink-team-members-dialog',
  imports: [
    DatePipe,
    ReactiveFormsModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatButtonModule,
    MatProgressBarModule,
    ApiErrorAlert,
  ],
  template: `
    <h2 mat-dialog-title>Team “{{ team.name }}”</h2>
    <mat-dialog-content>
      <p class="muted">Budget: {{ budget }}</p>
      <ailink-api-error-alert [error]="error()" prefix="The action failed: " testId="member-error" />
      <h3>Members</h3>
      @let m = members();
      @if (m.status === 'loading') {
        <mat-progress-bar mode="indeterminate" aria-label="Loading members" />
      } @else if (m.status === 'error') {
        <ailink-api-error-alert [error]="m.error" prefix="Could not list members: " testId="members-load-error" />
      } @else if (m.value.length === 0) {
        <p class="empty-state">No members yet.</p>
      } @else {
        <ul class="member-list" aria-label="Members">
          @for (member of m.value; track member.id) {
            <li>
              <span>{{ member.email || member.name || member.user_id }}</span>
              <span class="muted"
                >· {{ roleLabels[member.role] }} · {{ member.source === 'oidc' ? 'from SSO groups' : 'added by hand' }}</span
              >
              @if (canWrite()) {
                <button mat-button type="button" (click)="remove(member)" [attr.aria-label]="'Remove ' + (member.email || member.user_id)">
                  Remove
                </button>
              }
            </li>
          }
        </ul>
      }
      @if (canWrite()) {
        <form [formGroup]="form" (ngSubmit)="add()" novalidate class="dialog-form">
          <div class="form-row">
            @if (users().length) {
              <mat-form-field appearance="outline" subscriptSizing="dynamic">
                <mat-label>User</mat-label>
                <mat-select formControlName="userId">
                  @for (u of candidates(); track u.id) {
                    <mat-option [value]="u.id">{{ u.email || u.name || u.id }}</mat-option>
                  }
                </mat-select>
              </mat-form-field>
            } @else {
              <mat-form-field appearance="outline" subscriptSizing="dynamic">
                <mat-label>User id</mat-label>
                <input matInput formControlName="userId" autocomplete="off" spellcheck="false" />
                @if (form.controls.userId.hasError('pattern')) {
                  <mat-error>Enter a user id (a UUID).</mat-error>
                }
              </mat-form-field>
            }
            <mat-form-field appearance="outline" subscriptSizing="dynamic">
              <mat-label>Team role</mat-label>
              <mat-select formControlName="role">
                @for (r of roles; track r) {
                  <mat-option [value]="r">{{ roleLabels[r] }}</mat-option>
                }
              </mat-select>
            </mat-form-field>
          </div>
          <button mat-stroked-button type="submit">Add member</button>
        </form>
      }
      <h3>Recent spend</h3>
      @let sp = spend();
      @if (sp.status === 'ready' && sp.value.length) {
        <table class="spend-table" aria-label="Recent spend">
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Requests</th>
              <th scope="col">Spend (USD)</th>
            </tr>
          </thead>
          <tbody>
            @for (row of sp.value.slice(0, 7); track row.period) {
              <tr>
                <td>{{ row.period | date: 'mediumDate' }}</td>
                <td>{{ row.total_requests }}</td>
                <td>{{ row.total_spend_usd }}</td>
              </tr>
            }
          </tbody>
        </table>
      } @else if (sp.status === 'ready') {
        <p class="muted">No spend recorded yet.</p>
      }
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button type="button" mat-dialog-close cdkFocusInitial>Close</button>
    </mat-dialog-actions>
  `,
  styles: `
    .member-list {
      list-style: none;
      padding: 0;
      margin: 0 0 16px;
    }
    .member-list li {
      display: flex;
      gap: 8px;
      align-items: center;
    }
    .spend-table {
      border-collapse: collapse;
    }
    .spend-table th,
    .spend-table td {
      text-align: left;
      padding: 4px 12px 4px 0;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TeamMembersDialog {
  private readonly api = inject(ApiClient);
  private readonly session = inject(AuthSession);
  protected readonly team = inject<TeamMembersDialogData>(MAT_DIALOG_DATA).team;
  protected readonly budget = budgetSummary(this.team);
  protected readonly roles = TEAM_MEMBER_ROLES;
  protected readonly roleLabels = ROLE_LABELS;
  private readonly reload$ = new BehaviorSubject<void>(undefined);

  protected readonly canWrite = computed(() => {
    this.session.identity();
    return this.session.can('tokens:write');
  });
  protected readonly members = toSignal(this.reload$.pipe(switchMap(() => this.api.teamMembers(this.team.id).pipe(toLoadState()))), {
    initialValue: LOADING as LoadState<TeamMember[]>,
  });
  protected readonly spend = toSignal(this.api.teamSpend(this.team.id).pipe(toLoadState()), {
    initialValue: LOADING as LoadState<TeamSpendRow[]>,
  });
  /** Users to choose from (listing users needs keys:manage; without it a user id is typed instead). */
  protected readonly users = toSignal(
    this.session.can('keys:manage') ? this.api.users().pipe(catchError(() => of([] as User[]))) : of([] as User[]),
    { initialValue: [] as User[] },
  );
  protected readonly candidates = computed(() => {
    const m = this.members();
    const taken = new Set(m.status === 'ready' ? m.value.map((x) => x.user_id) : []);
    return this.users().filter((u) => !taken.has(u.id));
  });
  protected readonly form = new FormGroup({
    userId: new FormControl('', { nonNullable: true, validators: [Validators.required, Validators.pattern(UUID)] }),
    role: new FormControl<TeamMemberRole>('member', { nonNullable: true }),
  });
  protected readonly error = signal<ApiError | null>(null);

  protected add(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const value = this.form.getRawValue();
    this.error.set(null);
    this.api.addTeamMember(this.team.id, { user_id: value.userId.trim(), role: value.role }).subscribe({
      next: () => {
        this.form.reset({ userId: '', role: 'member' });
        this.reload$.next();
      },
      error: (error: unknown) => this.error.set(toApiError(error)),
    });
  }

  protected remove(member: TeamMember): void {
    this.error.set(null);
    this.api.removeTeamMember(this.team.id, member.user_id).subscribe({
      next: () => this.reload$.next(),
      error: (error: unknown) => this.error.set(toApiError(error)),
    });
  }
}
