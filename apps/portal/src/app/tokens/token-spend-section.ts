import { ChangeDetectionStrategy, Component, ElementRef, computed, inject, input, signal, viewChild } from '@angular/core';
import { toObservable, toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatCardModule } from '@angular/material/card';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { ApiError, LOADING, LoadState, SpendClient, toApiError, toLoadState } from '@ailink/portal-data-access';
import { TOKEN_SPEND_PERIODS, type TokenSpendDay, type TokenSpendPeriod, type TokenSpendStatus } from '@ailink/shared-contracts';
import { BehaviorSubject, combineLatest, filter, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { confirmAction } from '../shared/confirm-dialog';
import { SpendChart } from '../spend/spend-chart';
import { PERIOD_LABELS, PERIOD_SCOPES, formatUsd, positiveUsdValidator } from '../spend/spend-format';

/** One period of a token as the Spend table shows it. */
interface PeriodRow {
  readonly period: TokenSpendPeriod;
  readonly label: string;
  readonly scope: string;
  readonly spent: number;
  readonly limit: number | null;
  /** Share of the cap used, 0–100 (for the bar); null without a cap. */
  readonly percent: number | null;
  readonly over: boolean;
}

export const CHART_RANGES = [7, 30, 90] as const;

/**
 * A token's spend (vault-and-spend.md §6): current spend per period against its caps, setting and
 * removing a cap, and the daily spend of the last days as a chart.
 */
@Component({
  selector: 'ailink-token-spend-section',
  imports: [
    ReactiveFormsModule,
    MatCardModule,
    MatButtonModule,
    MatButtonToggleModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    MatSelectModule,
    ApiErrorAlert,
    SpendChart,
  ],
  templateUrl: './token-spend-section.html',
  styleUrl: './token-spend-section.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TokenSpendSection {
  private readonly spend = inject(SpendClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);

  /** The token's public id (`tok_…`). */
  readonly tokenId = input.required<string>();

  private readonly reload$ = new BehaviorSubject<void>(undefined);
  private readonly tokenId$ = toObservable(this.tokenId);
  protected readonly ranges = CHART_RANGES;
  protected readonly days = signal<number>(30);

  protected readonly status = toSignal(
    combineLatest([this.tokenId$, this.reload$]).pipe(switchMap(([id]) => this.spend.tokenSpend(id).pipe(toLoadState()))),
    { initialValue: LOADING as LoadState<TokenSpendStatus> },
  );
  protected readonly history = toSignal(
    combineLatest([this.tokenId$, toObservable(this.days), this.reload$]).pipe(
      switchMap(([id, days]) => this.spend.tokenSpendHistory(id, days).pipe(toLoadState())),
    ),
    { initialValue: LOADING as LoadState<TokenSpendDay[]> },
  );

  protected readonly rows = computed((): PeriodRow[] => {
    const s = this.status();
    if (s.status !== 'ready') return [];
    return TOKEN_SPEND_PERIODS.map((period) => {
      const spent = s.value[`current_${period}_usd`];
      const limit = s.value[`${period}_limit_usd`];
      return {
        period,
        label: PERIOD_LABELS[period],
        scope: PERIOD_SCOPES[period],
        spent,
        limit,
        percent: limit ? Math.min(100, Math.round((spent / limit) * 1000) / 10) : null,
        over: limit !== null && spent >= limit,
      };
    });
  });
  protected readonly historyTotal = computed(() => {
    const h = this.history();
    return h.status === 'ready' ? h.value.reduce((sum, d) => sum + d.spend_usd, 0) : 0;
  });

  protected readonly usd = formatUsd;
  protected readonly periods = TOKEN_SPEND_PERIODS;
  protected readonly periodLabels = PERIOD_LABELS;

  // --- cap form ---------------------------------------------------------------------------------
  protected readonly capForm = new FormGroup({
    period: new FormControl<TokenSpendPeriod>('daily', { nonNullable: true, validators: [Validators.required] }),
    limit: new FormControl('', { nonNullable: true, validators: [Validators.required, positiveUsdValidator] }),
  });
  private readonly capInput = viewChild<ElementRef<HTMLInputElement>>('capInput');
  protected readonly capSaving = signal(false);
  protected readonly capError = signal<ApiError | null>(null);
  protected readonly removeError = signal<ApiError | null>(null);

  /** Prefills the form with one period's cap and moves focus to the amount. */
  protected editCap(row: PeriodRow): void {
    this.capError.set(null);
    this.capForm.reset({ period: row.period, limit: row.limit === null ? '' : String(row.limit) });
    this.capInput()?.nativeElement.focus();
  }

  protected saveCap(): void {
    if (this.capSaving()) return;
    if (this.capForm.invalid) {
      this.capForm.markAllAsTouched();
      return;
    }
    const { period, limit } = this.capForm.getRawValue();
    const amount = limit.trim();
    this.capSaving.set(true);
    this.capError.set(null);
    this.removeError.set(null);
    this.spend.setTokenSpendCap(this.tokenId(), { period, limit_usd: amount }).subscribe({
      next: () => {
        this.capSaving.set(false);
        this.capForm.reset({ period, limit: '' });
        this.snackBar.open(`${PERIOD_LABELS[period]} cap set to ${formatUsd(amount)}.`, 'Dismiss', { duration: 5000 });
        this.reload$.next();
      },
      error: (error: unknown) => {
        this.capSaving.set(false);
        this.capError.set(toApiError(error));
      },
    });
  }

  protected removeCap(row: PeriodRow): void {
    this.removeError.set(null);
    this.capError.set(null);
    confirmAction(this.dialog, {
      title: `Remove the ${row.label.toLowerCase()} cap?`,
      message:
        `Requests through this token are no longer limited to ${formatUsd(row.limit)} ${row.scope}. ` +
        'The spend recorded so far is kept, and a new cap can be set at any time.',
      confirmLabel: 'Remove cap',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.spend.removeTokenSpendCap(this.tokenId(), row.period)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open(`${row.label} cap removed.`, 'Dismiss', { duration: 5000 });
          this.reload$.next();
        },
        error: (error: unknown) => this.removeError.set(toApiError(error)),
      });
  }

  protected refresh(): void {
    this.reload$.next();
  }

  protected setRange(days: number): void {
    this.days.set(days);
  }
}
