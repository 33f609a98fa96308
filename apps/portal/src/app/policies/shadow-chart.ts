import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { ShadowReport } from '@ailink/shared-contracts';

const LABEL_WIDTH = 190;
const BAR_AREA = 380;
const ROW_HEIGHT = 34;
const BAR_HEIGHT = 22;
const TOP = 8;

interface Bar {
  y: number;
  label: string;
  count: number;
  wouldBlock: number;
  countWidth: number;
  blockWidth: number;
}

let nextId = 0;

/**
 * The shadow report as a horizontal bar chart in plain inline SVG (no chart library): one row per
 * rule, the bar's length the requests it fired on, its darker part those it would have blocked. The
 * SVG is an image with a text alternative; the same numbers follow in a table for keyboard and
 * screen-reader users.
 */
@Component({
  selector: 'ailink-shadow-chart',
  template: `
    @if (bars().length === 0) {
      <p class="muted" data-testid="shadow-empty">No rule of this policy fired in shadow mode in this range.</p>
    } @else {
      <svg
        class="chart"
        role="img"
        [attr.aria-labelledby]="titleId + ' ' + descId"
        [attr.viewBox]="'0 0 ' + width + ' ' + height()"
        [attr.height]="height()"
        data-testid="shadow-chart"
      >
        <title [attr.id]="titleId">Shadow report by rule</title>
        <desc [attr.id]="descId">{{ description() }}</desc>
        @for (bar of bars(); track bar.label) {
          <g [attr.transform]="'translate(0,' + bar.y + ')'">
            <text class="label" x="0" [attr.y]="barHeight / 2" dominant-baseline="middle">{{ bar.label }}</text>
            <rect class="track" [attr.x]="labelWidth" y="0" [attr.width]="barArea" [attr.height]="barHeight" rx="3" />
            <rect class="fired" [attr.x]="labelWidth" y="0" [attr.width]="bar.countWidth" [attr.height]="barHeight" rx="3" />
            <rect class="blocked" [attr.x]="labelWidth" y="0" [attr.width]="bar.blockWidth" [attr.height]="barHeight" rx="3" />
            <text class="value" [attr.x]="labelWidth + barArea + 8" [attr.y]="barHeight / 2" dominant-baseline="middle">
              {{ bar.count }} fired · {{ bar.wouldBlock }} blocked
            </text>
          </g>
        }
      </svg>
      <p class="legend" aria-hidden="true">
        <span class="swatch fired"></span> fired (would have applied) <span class="swatch blocked"></span> would have blocked
      </p>
      <table class="report-table" data-testid="shadow-table">
        <caption class="cdk-visually-hidden">
          Shadow report by rule
        </caption>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Actions</th>
            <th scope="col">Fired on</th>
            <th scope="col">Would have blocked</th>
          </tr>
        </thead>
        <tbody>
          @for (rule of report().by_rule; track rule.rule_index) {
            <tr>
              <td>#{{ rule.rule_index }}</td>
              <td>{{ rule.actions.join(', ') }}</td>
              <td>{{ rule.count }}</td>
              <td>{{ rule.would_block }}</td>
            </tr>
          }
        </tbody>
      </table>
    }
  `,
  styles: `
    :host {
      display: block;
    }
    .chart {
      width: 100%;
      max-width: 760px;
      display: block;
    }
    .label,
    .value {
      font: var(--mat-sys-body-small);
      fill: var(--mat-sys-on-surface);
    }
    .track {
      fill: var(--mat-sys-surface-container-high);
    }
    .fired {
      fill: var(--mat-sys-primary);
    }
    .blocked {
      fill: var(--mat-sys-error);
    }
    .legend {
      display: flex;
      align-items: center;
      gap: 6px;
      margin: 4px 0 12px;
      font: var(--mat-sys-body-small);
    }
    .swatch {
      display: inline-block;
      width: 12px;
      height: 12px;
      border-radius: 2px;
      margin-left: 8px;
      &.fired {
        background: var(--mat-sys-primary);
      }
      &.blocked {
        background: var(--mat-sys-error);
      }
    }
    .report-table {
      border-collapse: collapse;
      th,
      td {
        text-align: left;
        padding: 4px 16px 4px 0;
        border-bottom: 1px solid var(--mat-sys-outline-variant);
      }
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ShadowChart {
  readonly report = input.required<ShadowReport>();

  protected readonly titleId = `shadow-chart-title-${++nextId}`;
  protected readonly descId = `shadow-chart-desc-${nextId}`;
  protected readonly width = LABEL_WIDTH + BAR_AREA + 170;
  protected readonly labelWidth = LABEL_WIDTH;
  protected readonly barArea = BAR_AREA;
  protected readonly barHeight = BAR_HEIGHT;

  protected readonly bars = computed((): Bar[] => {
    const rules = this.report().by_rule;
    const max = Math.max(1, ...rules.map((r) => r.count));
    return rules.map((rule, i) => {
      const actions = rule.actions.join(', ');
      const label = `Rule #${rule.rule_index}${actions ? ` (${actions.length > 22 ? actions.slice(0, 21) + '…' : actions})` : ''}`;
      return {
        y: TOP + i * ROW_HEIGHT,
        label,
        count: rule.count,
        wouldBlock: rule.would_block,
        countWidth: (rule.count / max) * BAR_AREA,
        blockWidth: (Math.min(rule.would_block, rule.count) / max) * BAR_AREA,
      };
    });
  });
  protected readonly height = computed(() => TOP * 2 + this.bars().length * ROW_HEIGHT);
  protected readonly description = computed(() =>
    this.report()
      .by_rule.map((r) => `Rule ${r.rule_index}: fired on ${r.count} requests, would have blocked ${r.would_block}.`)
      .join(' '),
  );
}
