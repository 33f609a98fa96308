import { HttpErrorResponse } from '@angular/common/http';
import { Subject, throwError, toArray, firstValueFrom, of } from 'rxjs';
import { ApiError } from './api-error';
import { LoadState, toLoadState } from './load-state';

describe('toLoadState', () => {
  it('emits loading then ready', async () => {
    const states = await firstValueFrom(of(7).pipe(toLoadState(), toArray()));
    expect(states).toEqual([{ status: 'loading' }, { status: 'ready', value: 7 }]);
  });

  it('emits loading then an ApiError', async () => {
    const states = await firstValueFrom(throwError(() => new HttpErrorResponse({ status: 0 })).pipe(toLoadState(), toArray()));
    expect(states[0]).toEqual({ status: 'loading' });
    const last = states[1] as Extract<LoadState<unknown>, { status: 'error' }>;
    expect(last.status).toBe('error');
    expect(last.error).toBeInstanceOf(ApiError);
    expect(last.error.code).toBe('network_error');
  });

  it('emits loading synchronously before the source answers', () => {
    const source = new Subject<number>();
    const seen: string[] = [];
    source.pipe(toLoadState()).subscribe((s) => seen.push(s.status));
    expect(seen).toEqual(['loading']);
    source.next(1);
    expect(seen).toEqual(['loading', 'ready']);
  });
});
