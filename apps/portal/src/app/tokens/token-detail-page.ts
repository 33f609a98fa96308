import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal } from '@angular/core';
import { toObservable, toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { Router, RouterLink } from '@angular/router';
import { ApiClient, ApiError, LOADING, LoadState, toApiError, toLoadState } from '@ailink/portal-data-access';
import {
  CIRCUIT_BREAKER_MIN_INTEGER,
  LOG_LEVEL_NAMES,
  type CircuitBreakerConfig,
  type CredentialMeta,
  type Token,
} from '@ailink/shared-contracts';
import { BehaviorSubject, catchError, combineLatest, filter, of, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { confirmAction } from '../shared/confirm-dialog';
import { integerValidator } from '../shared/forms';
import { TOKEN_STATE_LABELS, tokenState } from '../shared/token-state';
import { TokenSpendSection } from './token-spend-section';

const intValidators = [Validators.required, Validators.min(CIRCUIT_BREAKER_MIN_INTEGER), integerValidator];

/** One token: its fields, the circuit-breaker settings, revocation, and its spend against caps. */
@Component({
  selector: 'ailink-token-detail-page',
  imports: [
    DatePipe,
    RouterLink,
    ReactiveFormsModule,
    MatCardModule,
    MatButtonModule,
    MatCheckboxModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    ApiErrorAlert,
    TokenSpendSection,
  ],
  templateUrl: './token-detail-page.html',
  styleUrl: './token-detail-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TokenDetailPage {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly router = inject(Router);

  /** The `:id` route parameter (public id `tok_…`), bound by the router. */
  readonly id = input.required<string>();

  private readonly reload$ = new BehaviorSubject<void>(undefined);
  private readonly id$ = toObservable(this.id);

  protected readonly token = toSignal(
    combineLatest([this.id$, this.reload$]).pipe(switchMap(([id]) => this.api.token(id).pipe(toLoadState()))),
    { initialValue: LOADING as LoadState<Token> },
  );
  protected readonly breaker = toSignal(this.id$.pipe(switchMap((id) => this.api.circuitBreaker(id).pipe(toLoadState()))), {
    initialValue: LOADING as LoadState<CircuitBreakerConfig>,
  });
  private readonly credentials = toSignal(this.api.credentials().pipe(catchError(() => of([] as CredentialMeta[]))), {
    initialValue: [] as CredentialMeta[],
  });

  protected readonly stateLabels = TOKEN_STATE_LABELS;
  protected readonly state = computed(() => {
    const t = this.token();
    return t.status === 'ready' ? tokenState(t.value) : null;
  });
  protected readonly credentialName = computed(() => {
    const t = this.token();
    if (t.status !== 'ready' || !t.value.credential_id) return null;
    const id = t.value.credential_id;
    return this.credentials().find((c) => c.id === id)?.name ?? id;
  });
  protected readonly logLevelName = (level: number): string => LOG_LEVEL_NAMES[level] ?? String(level);

  protected readonly revokeError = signal<ApiError | null>(null);

  // --- circuit breaker --------------------------------------------------------------------------
  protected readonly cbForm = new FormGroup({
    enabled: new FormControl(true, { nonNullable: true }),
    failure_threshold: new FormControl<number | null>(null, intValidators),
    recovery_cooldown_secs: new FormControl<number | null>(null, intValidators),
    half_open_max_requests: new FormControl<number | null>(null, intValidators),
  });
  /** The config as last read or saved: keys the form does not edit (e.g. `failure_rate_threshold`) are sent back unchanged. */
  private stored: CircuitBreakerConfig | null = null;
  protected readonly cbSaving = signal(false);
  protected readonly cbError = signal<ApiError | null>(null);

  constructor() {
    effect(() => {
      const b = this.breaker();
      if (b.status === 'ready') this.applyBreaker(b.value);
    });
  }

  private applyBreaker(config: CircuitBreakerConfig): void {
    this.stored = config;
    this.cbForm.reset({
      enabled: config.enabled,
      failure_threshold: config.failure_threshold,
      recovery_cooldown_secs: config.recovery_cooldown_secs,
      half_open_max_requests: config.half_open_max_requests,
    });
  }

  protected saveBreaker(): void {
    if (this.cbSaving()) return;
    if (this.cbForm.invalid) {
      this.cbForm.markAllAsTouched();
      return;
    }
    const v = this.cbForm.getRawValue();
    const body: CircuitBreakerConfig = {
      ...(this.stored ?? {}),
      enabled: v.enabled,
      failure_threshold: Number(v.failure_threshold),
      recovery_cooldown_secs: Number(v.recovery_cooldown_secs),
      half_open_max_requests: Number(v.half_open_max_requests),
    };
    this.cbSaving.set(true);
    this.cbError.set(null);
    this.api.updateCircuitBreaker(this.id(), body).subscribe({
      next: (saved) => {
        this.cbSaving.set(false);
        this.applyBreaker(saved);
        this.snackBar.open('Circuit-breaker settings saved.', 'Dismiss', { duration: 5000 });
      },
      error: (error: unknown) => {
        this.cbSaving.set(false);
        this.cbError.set(toApiError(error));
      },
    });
  }

  protected resetBreaker(): void {
    this.cbError.set(null);
    if (this.stored) this.applyBreaker(this.stored);
  }

  // --- revoke -----------------------------------------------------------------------------------
  protected revoke(token: Token): void {
    this.revokeError.set(null);
    confirmAction(this.dialog, {
      title: `Revoke “${token.name}”?`,
      message: 'Agents using this token get 401 token_not_found from their next request. A revoked token cannot be restored.',
      confirmLabel: 'Revoke token',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.revokeToken(token.id)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open(`Token “${token.name}” revoked.`, 'Dismiss', { duration: 5000 });
          void this.router.navigate(['/tokens']);
        },
        error: (error: unknown) => this.revokeError.set(toApiError(error)),
      });
  }
}
