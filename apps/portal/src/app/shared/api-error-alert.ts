import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { ApiError, validationProblems } from '@ailink/portal-data-access';

/**
 * An API failure shown inline: the envelope's message, then each `{path, message}` of a 422
 * `validation_error`, in one `role="alert"` region.
 */
@Component({
  selector: 'ailink-api-error-alert',
  template: `
    @if (error(); as e) {
      <div class="api-error" role="alert" [attr.data-testid]="testId()">
        <p class="api-error-message">{{ prefix() }}{{ e.message }}</p>
        @if (problems().length) {
          <ul class="api-error-problems">
            @for (p of problems(); track $index) {
              <li>
                @if (p.path) {
                  <code>{{ p.path }}</code
                  >:
                }
                {{ p.message }}
              </li>
            }
          </ul>
        }
      </div>
    }
  `,
  styles: `
    :host {
      display: contents;
    }
    .api-error {
      color: var(--mat-sys-on-error-container);
      background: var(--mat-sys-error-container);
      border-radius: 8px;
      padding: 8px 12px;
      margin: 0 0 16px;
    }
    .api-error-message {
      margin: 0;
    }
    .api-error-problems {
      margin: 4px 0 0;
      padding-left: 20px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ApiErrorAlert {
  readonly error = input<ApiError | null>(null);
  /** Text before the message, e.g. "Could not delete the credential: ". */
  readonly prefix = input('');
  readonly testId = input('api-error');
  protected readonly problems = computed(() => {
    const e = this.error();
    return e ? validationProblems(e) : [];
  });
}
