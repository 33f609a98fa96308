import type { Sort } from '@angular/material/sort';

export type SortValue = string | number | boolean | null | undefined;

/** A copy of `rows` ordered by the active column (`accessors[sort.active]`); empty values sort last. */
export function sortRows<T>(rows: readonly T[], sort: Sort, accessors: Record<string, (row: T) => SortValue>): T[] {
  const accessor = accessors[sort.active];
  if (!accessor || sort.direction === '') return [...rows];
  const factor = sort.direction === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = accessor(a);
    const y = accessor(b);
    const xEmpty = x === null || x === undefined || x === '';
    const yEmpty = y === null || y === undefined || y === '';
    if (xEmpty || yEmpty) return xEmpty === yEmpty ? 0 : xEmpty ? 1 : -1;
    if (typeof x === 'string' && typeof y === 'string')
      return factor * x.localeCompare(y, undefined, { sensitivity: 'base', numeric: true });
    return factor * (Number(x) - Number(y));
  });
}

export interface PageState {
  readonly pageIndex: number;
  readonly pageSize: number;
}

export const PAGE_SIZES = [10, 25, 50, 100];

/** The rows of one page; an index past the end falls back to the last page. */
export function pageOf<T>(rows: readonly T[], page: PageState): T[] {
  const lastPage = Math.max(0, Math.ceil(rows.length / page.pageSize) - 1);
  const index = Math.min(page.pageIndex, lastPage);
  return rows.slice(index * page.pageSize, (index + 1) * page.pageSize);
}
