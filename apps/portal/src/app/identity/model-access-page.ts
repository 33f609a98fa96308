import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { ApiClient, ApiError, AuthSession, LOADING, LoadState, toApiError, toLoadState } from '@ailink/portal-data-access';
import type { ModelAccessGroup } from '@ailink/shared-contracts';
import { BehaviorSubject, filter, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { confirmAction } from '../shared/confirm-dialog';
import { ModelAccessDialog, type ModelAccessDialogData } from './model-access-dialog';

/** Model access groups of the default project: named lists of model patterns tokens may call. */
@Component({
  selector: 'ailink-model-access-page',
  imports: [DatePipe, MatTableModule, MatButtonModule, MatProgressBarModule, ApiErrorAlert],
  templateUrl: './model-access-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ModelAccessPage {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly session = inject(AuthSession);
  private readonly reload$ = new BehaviorSubject<void>(undefined);

  protected readonly canWrite = computed(() => {
    this.session.identity();
    return this.session.can('tokens:write');
  });
  protected readonly columns = computed(() => ['name', 'description', 'models', 'updated', ...(this.canWrite() ? ['actions'] : [])]);
  protected readonly state = toSignal(this.reload$.pipe(switchMap(() => this.api.modelAccessGroups().pipe(toLoadState()))), {
    initialValue: LOADING as LoadState<ModelAccessGroup[]>,
  });
  protected readonly actionError = signal<ApiError | null>(null);

  protected open(group?: ModelAccessGroup): void {
    this.actionError.set(null);
    this.dialog
      .open<ModelAccessDialog, ModelAccessDialogData, ModelAccessGroup>(ModelAccessDialog, {
        data: { group },
        width: '600px',
        maxWidth: '95vw',
      })
      .afterClosed()
      .pipe(filter((saved): saved is ModelAccessGroup => !!saved))
      .subscribe((saved) => {
        this.snackBar.open(`Model access group “${saved.name}” saved.`, 'Dismiss', { duration: 5000 });
        this.reload$.next();
      });
  }

  protected remove(group: ModelAccessGroup): void {
    this.actionError.set(null);
    confirmAction(this.dialog, {
      title: `Delete “${group.name}”?`,
      message: 'Tokens that reach their models only through this group can no longer call them.',
      confirmLabel: 'Delete group',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.deleteModelAccessGroup(group.id)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open(`Model access group “${group.name}” deleted.`, 'Dismiss', { duration: 5000 });
          this.reload$.next();
        },
        error: (error: unknown) => this.actionError.set(toApiError(error)),
      });
  }
}
