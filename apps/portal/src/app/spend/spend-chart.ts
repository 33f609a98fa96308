import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import type { TokenSpendDay } from '@ailink/shared-contracts';
import { formatUsd, niceCeiling } from './spend-format';

const WIDTH = 720;
const HEIGHT = 220;
const LEFT = 64;
const RIGHT = 8;
const TOP = 12;
const BOTTOM = 28;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;
const PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;

interface Bar {
  readonly date: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly tip: string;
}

interface Tick {
  readonly y: number;
  readonly label: string;
}

interface DayLabel {
  readonly x: number;
  readonly label: string;
  readonly anchor: 'start' | 'middle' | 'end';
}

let nextId = 0;

/** "2026-01-05" (a UTC day) → "Jan 5". */
export function shortDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? date : d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/**
 * Daily spend as a column chart in plain inline SVG (no chart library): one bar per UTC day, oldest on
 * the left, a labelled y axis in USD. The SVG is an image named by its `<title>` and `<desc>` (a
 * summary); every value is also in a visually hidden table for screen readers.
 */
@Component({
  selector: 'ailink-spend-chart',
  template: `
    <svg
      class="chart"
      role="img"
      [attr.aria-labelledby]="titleId + ' ' + descId"
      [attr.viewBox]="'0 0 ' + width + ' ' + height"
      preserveAspectRatio="xMidYMid meet"
      data-testid="spend-chart"
    >
      <title [attr.id]="titleId">{{ label() }}</title>
      <desc [attr.id]="descId">{{ description() }}</desc>
      @for (tick of ticks(); track tick.label) {
        <line class="grid" [attr.x1]="left" [attr.x2]="width - right" [attr.y1]="tick.y" [attr.y2]="tick.y" />
        <text class="axis" [attr.x]="left - 6" [attr.y]="tick.y" text-anchor="end" dominant-baseline="middle">{{ tick.label }}</text>
      }
      @for (bar of bars(); track bar.date) {
        <rect class="bar" [attr.x]="bar.x" [attr.y]="bar.y" [attr.width]="bar.width" [attr.height]="bar.height" rx="1">
          <title>{{ bar.tip }}</title>
        </rect>
      }
      @for (day of dayLabels(); track day.label) {
        <text class="axis" [attr.x]="day.x" [attr.y]="height - 8" [attr.text-anchor]="day.anchor">{{ day.label }}</text>
      }
    </svg>
    <table class="cdk-visually-hidden" data-testid="spend-chart-table">
      <caption>
        {{
          label()
        }}
      </caption>
      <thead>
        <tr>
          <th scope="col">Day (UTC)</th>
          <th scope="col">Spend</th>
          <th scope="col">Requests</th>
        </tr>
      </thead>
      <tbody>
        @for (day of days(); track day.date) {
          <tr>
            <th scope="row">{{ day.date }}</th>
            <td>{{ usd(day.spend_usd) }}</td>
            <td>{{ day.requests }}</td>
          </tr>
        }
      </tbody>
    </table>
  `,
  styles: `
    :host {
      display: block;
    }
    .chart {
      display: block;
      width: 100%;
      max-width: 960px;
      height: auto;
    }
    .grid {
      stroke: var(--mat-sys-outline-variant);
      stroke-width: 1;
    }
    .axis {
      font: var(--mat-sys-body-small);
      fill: var(--mat-sys-on-surface-variant);
    }
    .bar {
      fill: var(--mat-sys-primary);
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SpendChart {
  /** One row per UTC day, oldest first (`GET /tokens/{id}/spend/history`). */
  readonly days = input.required<readonly TokenSpendDay[]>();
  /** The chart's accessible name (the SVG title and the table caption). */
  readonly label = input('Daily spend');

  protected readonly titleId = `spend-chart-title-${++nextId}`;
  protected readonly descId = `spend-chart-desc-${nextId}`;
  protected readonly width = WIDTH;
  protected readonly height = HEIGHT;
  protected readonly left = LEFT;
  protected readonly right = RIGHT;
  protected readonly usd = formatUsd;

  /** The y axis' top value. */
  protected readonly ceiling = computed(() => niceCeiling(Math.max(0, ...this.days().map((d) => d.spend_usd))));

  protected readonly ticks = computed((): Tick[] => {
    const top = this.ceiling();
    return [0, 0.5, 1].map((f) => ({ y: TOP + PLOT_HEIGHT * (1 - f), label: formatUsd(top * f) }));
  });

  protected readonly bars = computed((): Bar[] => {
    const days = this.days();
    const top = this.ceiling();
    const slot = PLOT_WIDTH / Math.max(1, days.length);
    const width = Math.max(1, slot * 0.7);
    return days.map((day, i) => {
      const value = Math.max(0, day.spend_usd);
      // A day with any spend gets at least a 1-unit sliver so it is visible next to zero days.
      const height = value > 0 ? Math.max(1, (value / top) * PLOT_HEIGHT) : 0;
      return {
        date: day.date,
        x: LEFT + i * slot + (slot - width) / 2,
        y: TOP + PLOT_HEIGHT - height,
        width,
        height,
        tip: `${shortDay(day.date)}: ${formatUsd(day.spend_usd)}, ${day.requests} request${day.requests === 1 ? '' : 's'}`,
      };
    });
  });

  /** First, middle and last day under the axis (more would overlap at 30+ days). */
  protected readonly dayLabels = computed((): DayLabel[] => {
    const days = this.days();
    if (days.length === 0) return [];
    const slot = PLOT_WIDTH / days.length;
    const at = (i: number, anchor: DayLabel['anchor']): DayLabel => ({
      x: LEFT + i * slot + slot / 2,
      label: shortDay(days[i].date),
      anchor,
    });
    if (days.length === 1) return [at(0, 'middle')];
    const labels = [at(0, 'start'), at(days.length - 1, 'end')];
    if (days.length >= 5) labels.splice(1, 0, at(Math.floor((days.length - 1) / 2), 'middle'));
    return labels;
  });

  protected readonly description = computed(() => {
    const days = this.days();
    if (days.length === 0) return 'No days to show.';
    const total = days.reduce((sum, d) => sum + d.spend_usd, 0);
    const requests = days.reduce((sum, d) => sum + d.requests, 0);
    const range = `${shortDay(days[0].date)} to ${shortDay(days[days.length - 1].date)}`;
    if (total === 0) return `No spend from ${range}.`;
    const peak = days.reduce((best, d) => (d.spend_usd > best.spend_usd ? d : best), days[0]);
    return (
      `${formatUsd(total)} spent over ${requests} request${requests === 1 ? '' : 's'} from ${range}; ` +
      `highest ${formatUsd(peak.spend_usd)} on ${shortDay(peak.date)}.`
    );
  });
}
