import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatPaginatorModule, PageEvent } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatSortModule, Sort } from '@angular/material/sort';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { ApiError, LOADING, LoadState, SpendClient, toApiError, toLoadState } from '@ailink/portal-data-access';
import type { PricingRow } from '@ailink/shared-contracts';
import { BehaviorSubject, filter, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { confirmAction } from '../shared/confirm-dialog';
import { PAGE_SIZES, PageState, pageOf, sortRows } from '../shared/table';
import { PricingDialog, PricingDialogData, PricingDialogResult, providerLabel } from './pricing-dialog';
import { formatUsd } from './spend-format';

export type PriceSource = 'override' | 'builtin' | 'overridden';

/** One row of the effective price table. */
export interface PriceRow {
  readonly price: PricingRow;
  readonly source: PriceSource;
}

export type SourceFilter = 'all' | 'override' | 'builtin';

const SOURCE_LABELS: Readonly<Record<PriceSource, string>> = {
  override: 'Override',
  builtin: 'Built-in',
  overridden: 'Built-in, overridden',
};

/** Provider, then pattern, then the override before the built-in row it replaces. */
function keyOf(r: PriceRow): string {
  return `${r.price.provider}|${r.price.model_pattern.toLowerCase()}|${r.source === 'override' ? 0 : 1}`;
}

const SORT_ACCESSORS: Record<string, (r: PriceRow) => string | number | null> = {
  provider: keyOf,
  model_pattern: (r) => r.price.model_pattern,
  input: (r) => Number(r.price.input_per_m),
  output: (r) => Number(r.price.output_per_m),
  cached: (r) => (r.price.cached_input_per_m === null ? null : Number(r.price.cached_input_per_m)),
  source: (r) => r.source,
};

/**
 * Marks each row: the organisation's overrides, the built-in rows, and the built-in rows an override
 * with the same provider and pattern replaces (the lookup prefers the override at equal specificity).
 */
export function effectivePrices(rows: readonly PricingRow[]): PriceRow[] {
  const active = rows.filter((r) => r.is_active);
  const overridden = new Set(active.filter((r) => r.org_id !== null).map((r) => `${r.provider}|${r.model_pattern.toLowerCase()}`));
  return active.map((price) => ({
    price,
    source:
      price.org_id !== null
        ? 'override'
        : overridden.has(`${price.provider}|${price.model_pattern.toLowerCase()}`)
          ? 'overridden'
          : 'builtin',
  }));
}

/** The price table (vault-and-spend.md §4): built-in prices and the organisation's overrides, per million tokens. */
@Component({
  selector: 'ailink-pricing-page',
  imports: [
    DatePipe,
    RouterLink,
    MatTableModule,
    MatSortModule,
    MatPaginatorModule,
    MatButtonModule,
    MatButtonToggleModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    ApiErrorAlert,
  ],
  templateUrl: './pricing-page.html',
  styleUrl: './pricing-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PricingPage {
  private readonly spend = inject(SpendClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly reload$ = new BehaviorSubject<void>(undefined);

  protected readonly columns = ['provider', 'model_pattern', 'input', 'output', 'cached', 'source', 'actions'];
  protected readonly pageSizes = PAGE_SIZES;
  protected readonly usd = formatUsd;
  protected readonly providerLabel = providerLabel;
  protected readonly sourceLabel = (source: PriceSource): string => SOURCE_LABELS[source];

  protected readonly state = toSignal(this.reload$.pipe(switchMap(() => this.spend.pricing().pipe(toLoadState()))), {
    initialValue: LOADING as LoadState<PricingRow[]>,
  });
  protected readonly query = signal('');
  protected readonly sourceFilter = signal<SourceFilter>('all');
  protected readonly sort = signal<Sort>({ active: 'provider', direction: 'asc' });
  protected readonly page = signal<PageState>({ pageIndex: 0, pageSize: 100 });

  protected readonly all = computed(() => {
    const s = this.state();
    return s.status === 'ready' ? effectivePrices(s.value) : [];
  });
  protected readonly overrideCount = computed(() => this.all().filter((r) => r.source === 'override').length);
  protected readonly sorted = computed(() => {
    const q = this.query().trim().toLowerCase();
    const source = this.sourceFilter();
    const rows = this.all().filter((r) => {
      if (source === 'override' && r.source !== 'override') return false;
      if (source === 'builtin' && r.source === 'override') return false;
      if (!q) return true;
      const label = providerLabel(r.price.provider).toLowerCase();
      return r.price.provider.toLowerCase().includes(q) || label.includes(q) || r.price.model_pattern.toLowerCase().includes(q);
    });
    return sortRows(rows, this.sort(), SORT_ACCESSORS);
  });
  protected readonly rows = computed(() => pageOf(this.sorted(), this.page()));
  protected readonly actionError = signal<ApiError | null>(null);

  protected onQuery(value: string): void {
    this.query.set(value);
    this.page.update((p) => ({ ...p, pageIndex: 0 }));
  }

  protected onSourceFilter(value: SourceFilter): void {
    this.sourceFilter.set(value);
    this.page.update((p) => ({ ...p, pageIndex: 0 }));
  }

  protected onSort(sort: Sort): void {
    this.sort.set(sort);
    this.page.update((p) => ({ ...p, pageIndex: 0 }));
  }

  protected onPage(event: PageEvent): void {
    this.page.set({ pageIndex: event.pageIndex, pageSize: event.pageSize });
  }

  protected openCreate(): void {
    this.openDialog({});
  }

  /** A new override starting from a built-in row's provider, pattern and prices. */
  protected overrideBuiltin(price: PricingRow): void {
    this.openDialog({ template: price });
  }

  protected edit(price: PricingRow): void {
    this.openDialog({ override: price });
  }

  private openDialog(data: PricingDialogData): void {
    this.actionError.set(null);
    this.dialog
      .open<PricingDialog, PricingDialogData, PricingDialogResult>(PricingDialog, { data, width: '640px', maxWidth: '95vw' })
      .afterClosed()
      .pipe(filter((saved): saved is PricingDialogResult => !!saved))
      .subscribe((saved) => {
        this.snackBar.open(`Override for ${saved.provider} ${saved.model_pattern} saved.`, 'Dismiss', { duration: 5000 });
        this.reload$.next();
      });
  }

  protected remove(price: PricingRow): void {
    this.actionError.set(null);
    confirmAction(this.dialog, {
      title: `Delete the override for ${price.model_pattern}?`,
      message:
        `Requests to ${providerLabel(price.provider)} models matching ${price.model_pattern} are priced by the next ` +
        'most specific row again (the built-in price, when there is one) within a second.',
      confirmLabel: 'Delete override',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.spend.deletePrice(price.id)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open(`Override for ${price.provider} ${price.model_pattern} deleted.`, 'Dismiss', { duration: 5000 });
          this.reload$.next();
        },
        error: (error: unknown) => this.actionError.set(toApiError(error)),
      });
  }
}
