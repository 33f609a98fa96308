import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { ApiClient, ApiError, AuthSession, LOADING, LoadState, toApiError, toLoadState } from '@ailink/portal-data-access';
import type { Team } from '@ailink/shared-contracts';
import { BehaviorSubject, filter, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { confirmAction } from '../shared/confirm-dialog';
import { budgetSummary, modelsSummary, pairsText } from './identity-format';
import { TeamDialog, type TeamDialogData } from './team-dialog';
import { TeamMembersDialog, type TeamMembersDialogData } from './team-members-dialog';

interface TeamRow {
  readonly team: Team;
  readonly budget: string;
  readonly models: string;
  readonly tags: string;
}

/** Teams of the organisation: budgets, allowed models, tags and members. */
@Component({
  selector: 'ailink-teams-page',
  imports: [MatTableModule, MatButtonModule, MatProgressBarModule, ApiErrorAlert],
  templateUrl: './teams-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TeamsPage {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly session = inject(AuthSession);
  private readonly reload$ = new BehaviorSubject<void>(undefined);

  protected readonly canWrite = computed(() => {
    this.session.identity();
    return this.session.can('tokens:write');
  });
  protected readonly columns = ['name', 'budget', 'models', 'tags', 'state', 'actions'];
  protected readonly state = toSignal(this.reload$.pipe(switchMap(() => this.api.teams().pipe(toLoadState()))), {
    initialValue: LOADING as LoadState<Team[]>,
  });
  protected readonly rows = computed(() => {
    const s = this.state();
    if (s.status !== 'ready') return [];
    return s.value.map(
      (team): TeamRow => ({
        team,
        budget: budgetSummary(team),
        models: modelsSummary(team.allowed_models),
        tags: pairsText(team.tags).replace(/\n/g, ', '),
      }),
    );
  });
  protected readonly actionError = signal<ApiError | null>(null);

  protected open(team?: Team): void {
    this.actionError.set(null);
    this.dialog
      .open<TeamDialog, TeamDialogData, Team>(TeamDialog, { data: { team }, width: '640px', maxWidth: '95vw' })
      .afterClosed()
      .pipe(filter((saved): saved is Team => !!saved))
      .subscribe((saved) => {
        this.snackBar.open(`Team “${saved.name}” saved.`, 'Dismiss', { duration: 5000 });
        this.reload$.next();
      });
  }

  protected members(team: Team): void {
    this.dialog.open<TeamMembersDialog, TeamMembersDialogData>(TeamMembersDialog, { data: { team }, width: '640px', maxWidth: '95vw' });
  }

  protected remove(team: Team): void {
    this.actionError.set(null);
    confirmAction(this.dialog, {
      title: `Delete team “${team.name}”?`,
      message: 'Its tokens leave the team (and its budget and model restriction); its members lose the membership.',
      confirmLabel: 'Delete team',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.deleteTeam(team.id)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open(`Team “${team.name}” deleted.`, 'Dismiss', { duration: 5000 });
          this.reload$.next();
        },
        error: (error: unknown) => this.actionError.set(toApiError(error)),
      });
  }
}
