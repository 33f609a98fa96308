import { DatePipe, JsonPipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal } from '@angular/core';
import { takeUntilDestroyed, toObservable, toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { Router, RouterLink } from '@angular/router';
import { ApiClient, ApiError, LoadState, SpendClient, toApiError, toLoadState } from '@ailink/portal-data-access';
import { DEFAULT_PROJECT_ID, type ProjectSummary, type SessionEntityResponse, type SessionStatus } from '@ailink/shared-contracts';
import { Observable, catchError, filter, map, of, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { confirmAction } from '../shared/confirm-dialog';
import { formatUsd, usdValidator } from './spend-format';

/** The API's limit on a session id (proxy.md §15). */
export const MAX_SESSION_ID_LENGTH = 128;

const STATUS_LABELS: Readonly<Record<SessionStatus, string>> = { active: 'Active', paused: 'Paused', completed: 'Completed' };

/**
 * One agent session (`X-Session-Id`) looked up by its id: totals, pause / resume / complete, and its
 * spend cap. The id and project live in the URL (`?id=…&project_id=…`) so a session can be linked to.
 * There is no list of sessions here: the gateway's session list belongs to the audit feature.
 */
@Component({
  selector: 'ailink-sessions-page',
  imports: [
    DatePipe,
    JsonPipe,
    RouterLink,
    ReactiveFormsModule,
    MatButtonModule,
    MatCardModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    MatSelectModule,
    ApiErrorAlert,
  ],
  templateUrl: './sessions-page.html',
  styleUrl: './sessions-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SessionsPage {
  private readonly api = inject(ApiClient);
  private readonly spend = inject(SpendClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly router = inject(Router);

  /** `?id=` (bound by the router): the session id to show. */
  readonly id = input<string | undefined>(undefined);
  /** `?project_id=`: its project (default: the default project). */
  // eslint-disable-next-line @angular-eslint/no-input-rename -- the router binds the `project_id` query parameter by this name
  readonly projectId = input<string | undefined>(undefined, { alias: 'project_id' });

  protected readonly statusLabels = STATUS_LABELS;
  protected readonly usd = formatUsd;
  protected readonly maxIdLength = MAX_SESSION_ID_LENGTH;

  protected readonly projects = toSignal(
    this.api.projects().pipe(
      catchError(() => of([] as ProjectSummary[])),
      map((list) => (list.length ? list : [{ id: DEFAULT_PROJECT_ID, name: 'Default project' } as ProjectSummary])),
    ),
    { initialValue: [] as ProjectSummary[] },
  );
  protected readonly projectName = computed(() => {
    const id = this.projectId() ?? DEFAULT_PROJECT_ID;
    return this.projects().find((p) => p.id === id)?.name ?? id;
  });

  protected readonly lookupForm = new FormGroup({
    sessionId: new FormControl('', {
      nonNullable: true,
      validators: [Validators.required, Validators.maxLength(MAX_SESSION_ID_LENGTH)],
    }),
    projectId: new FormControl(DEFAULT_PROJECT_ID, { nonNullable: true }),
  });

  /** The shown session; null before a lookup. */
  protected readonly entity = signal<LoadState<SessionEntityResponse> | null>(null);
  protected readonly busy = signal(false);
  protected readonly actionError = signal<ApiError | null>(null);

  protected readonly capForm = new FormGroup({
    cap: new FormControl('', { nonNullable: true, validators: [Validators.required, usdValidator] }),
  });
  protected readonly capError = signal<ApiError | null>(null);

  constructor() {
    // One emission per URL change (a lookup changes id and project_id together).
    toObservable(computed(() => ({ id: this.id(), projectId: this.projectId() })))
      .pipe(
        switchMap(
          ({ id, projectId }): Observable<LoadState<SessionEntityResponse> | null> =>
            id ? this.spend.session(id, projectId).pipe(toLoadState()) : of(null),
        ),
        takeUntilDestroyed(),
      )
      .subscribe((state) => {
        this.actionError.set(null);
        this.capError.set(null);
        this.entity.set(state);
        if (state?.status === 'ready') this.applyCap(state.value);
      });
    // The form follows the URL (back/forward, links from elsewhere).
    effect(() => {
      this.lookupForm.setValue({ sessionId: this.id() ?? '', projectId: this.projectId() ?? DEFAULT_PROJECT_ID }, { emitEvent: false });
    });
  }

  protected lookup(): void {
    if (this.lookupForm.invalid) {
      this.lookupForm.markAllAsTouched();
      return;
    }
    const { sessionId, projectId } = this.lookupForm.getRawValue();
    void this.router.navigate([], {
      queryParams: { id: sessionId.trim(), project_id: projectId && projectId !== DEFAULT_PROJECT_ID ? projectId : null },
    });
  }

  private applyCap(session: SessionEntityResponse): void {
    this.capForm.reset({ cap: session.spend_cap_usd === null ? '' : String(Number(session.spend_cap_usd)) });
  }

  private show(session: SessionEntityResponse): void {
    this.entity.set({ status: 'ready', value: session });
  }

  protected setStatus(session: SessionEntityResponse, status: Exclude<SessionStatus, 'completed'>): void {
    this.run(this.spend.setSessionStatus(session.session_id, status, this.projectId()), (saved) =>
      status === 'paused' ? `Session “${saved.session_id}” paused.` : `Session “${saved.session_id}” resumed.`,
    );
  }

  protected complete(session: SessionEntityResponse): void {
    this.actionError.set(null);
    confirmAction(this.dialog, {
      title: `Complete session “${session.session_id}”?`,
      message:
        'Requests that carry this session id are refused with 403 policy_denied (session_completed) from now on. ' +
        'A completed session cannot be resumed.',
      confirmLabel: 'Complete session',
    })
      .pipe(filter(Boolean))
      .subscribe(() =>
        this.run(
          this.spend.setSessionStatus(session.session_id, 'completed', this.projectId()),
          (saved) => `Session “${saved.session_id}” completed.`,
        ),
      );
  }

  private run(request: Observable<SessionEntityResponse>, message: (saved: SessionEntityResponse) => string): void {
    if (this.busy()) return;
    this.busy.set(true);
    this.actionError.set(null);
    request.subscribe({
      next: (saved) => {
        this.busy.set(false);
        this.show(saved);
        this.snackBar.open(message(saved), 'Dismiss', { duration: 5000 });
      },
      error: (error: unknown) => {
        this.busy.set(false);
        this.actionError.set(toApiError(error));
      },
    });
  }

  protected saveCap(session: SessionEntityResponse): void {
    if (this.capForm.invalid) {
      this.capForm.markAllAsTouched();
      return;
    }
    this.writeCap(session, this.capForm.getRawValue().cap.trim());
  }

  protected removeCap(session: SessionEntityResponse): void {
    this.writeCap(session, null);
  }

  private writeCap(session: SessionEntityResponse, cap: string | null): void {
    if (this.busy()) return;
    this.busy.set(true);
    this.capError.set(null);
    this.spend.setSessionSpendCap(session.session_id, cap, this.projectId()).subscribe({
      next: (saved) => {
        this.busy.set(false);
        this.show(saved);
        this.applyCap(saved);
        this.snackBar.open(cap === null ? 'Session spend cap removed.' : `Session spend cap set to ${formatUsd(cap)}.`, 'Dismiss', {
          duration: 5000,
        });
      },
      error: (error: unknown) => {
        this.busy.set(false);
        this.capError.set(toApiError(error));
      },
    });
  }

  protected metadataKeys(session: SessionEntityResponse): number {
    return Object.keys(session.metadata ?? {}).length;
  }
}
