import { Observable, OperatorFunction, catchError, map, of, startWith } from 'rxjs';
import { ApiError, toApiError } from './api-error';

/** The state of one request as a page shows it: loading, a value, or an `ApiError`. */
export type LoadState<T> =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly value: T }
  | { readonly status: 'error'; readonly error: ApiError };

export const LOADING: LoadState<never> = { status: 'loading' };

/** Turns a request into a stream of `LoadState`s: `loading`, then `ready` or `error`. */
export function toLoadState<T>(): OperatorFunction<T, LoadState<T>> {
  return (source: Observable<T>) =>
    source.pipe(
      map((value): LoadState<T> => ({ status: 'ready', value })),
      catchError((error: unknown) => of<LoadState<T>>({ status: 'error', error: toApiError(error) })),
      startWith<LoadState<T>>(LOADING),
    );
}
