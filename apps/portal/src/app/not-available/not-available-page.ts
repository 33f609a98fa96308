import { ChangeDetectionStrategy, Component, input } from '@angular/core';
import { RouterLink } from '@angular/router';
import type { ProductArea } from '../product-areas';

/** The one page every not-yet-built area routes to: it says what the area will do, nothing more. */
@Component({
  selector: 'ailink-not-available-page',
  imports: [RouterLink],
  template: `
    <h1>{{ area().label }}</h1>
    <p class="state"><strong>Not available in this build yet.</strong></p>
    <p data-testid="area-description">{{ area().description }}</p>
    <p><a routerLink="/">Back to the overview</a></p>
  `,
  styles: `
    h1 {
      font: var(--mat-sys-headline-medium);
      margin: 0 0 16px;
    }
    p {
      max-width: 70ch;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class NotAvailablePage {
  /** Bound from the route's `data.area` (router component input binding). */
  readonly area = input.required<ProductArea>();
}
