import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { ApiClient, AuthSession, LOADING, LoadState, toLoadState } from '@ailink/portal-data-access';
import type { ProjectSummary, ReadinessResponse, WhoAmIResponse } from '@ailink/shared-contracts';
import { BehaviorSubject, map, switchMap, tap } from 'rxjs';
import { authMethodLabel } from '../auth-method-label';

interface Checked<T> {
  readonly data: T;
  readonly at: Date;
}

/** Gateway readiness, the caller's identity and the project count, each loaded independently. */
@Component({
  selector: 'ailink-overview-page',
  imports: [DatePipe, MatCardModule, MatButtonModule],
  templateUrl: './overview-page.html',
  styleUrl: './overview-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class OverviewPage {
  private readonly api = inject(ApiClient);
  private readonly session = inject(AuthSession);
  private readonly refresh$ = new BehaviorSubject<void>(undefined);

  protected readonly readiness = toSignal(
    this.refresh$.pipe(
      switchMap(() =>
        this.api.readiness().pipe(
          map((data): Checked<ReadinessResponse> => ({ data, at: new Date() })),
          toLoadState(),
        ),
      ),
    ),
    { initialValue: LOADING as LoadState<Checked<ReadinessResponse>> },
  );

  protected readonly whoami = toSignal(
    this.refresh$.pipe(
      switchMap(() =>
        this.api.whoami().pipe(
          tap((identity) => this.session.updateIdentity(identity)),
          toLoadState(),
        ),
      ),
    ),
    { initialValue: LOADING as LoadState<WhoAmIResponse> },
  );

  protected readonly projects = toSignal(this.refresh$.pipe(switchMap(() => this.api.projects().pipe(toLoadState()))), {
    initialValue: LOADING as LoadState<ProjectSummary[]>,
  });

  protected readonly loading = computed(
    () => this.readiness().status === 'loading' || this.whoami().status === 'loading' || this.projects().status === 'loading',
  );

  protected readonly authMethodLabel = authMethodLabel;

  protected refresh(): void {
    this.refresh$.next();
  }
}
