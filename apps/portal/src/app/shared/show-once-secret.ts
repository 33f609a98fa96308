import { ClipboardModule } from '@angular/cdk/clipboard';
import { ChangeDetectionStrategy, Component, input, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';

/**
 * The body of a "shown once" dialog (a new virtual token, a new API key): the warning that the value
 * cannot be shown again, the value in a read-only field that selects itself on focus, a Copy button
 * and a live status line saying whether copying worked. The owning dialog holds the value and wipes
 * it when it closes; projected content (usage hints) follows the field.
 */
@Component({
  selector: 'ailink-show-once-secret',
  imports: [MatButtonModule, ClipboardModule],
  template: `
    <p class="once" data-testid="show-once-note">
      <strong>Copy this {{ noun() }} now. You won't see it again:</strong> AIlink stores only its hash, and neither the gateway nor this
      portal can show it later.
    </p>
    <label class="secret-label" [for]="fieldId()">{{ label() }}</label>
    <div class="secret-row">
      <input
        [id]="fieldId()"
        class="secret"
        type="text"
        readonly
        [value]="secret()"
        [attr.data-testid]="fieldId()"
        (focus)="selectAll($event)"
      />
      <button mat-stroked-button type="button" [cdkCopyToClipboard]="secret()" (cdkCopyToClipboardCopied)="copied.set($event)">Copy</button>
    </div>
    <p class="copy-status" role="status">
      @if (copied() === true) {
        Copied to the clipboard.
      } @else if (copied() === false) {
        Copying failed: select the text and copy it yourself.
      }
    </p>
    <ng-content />
  `,
  styles: `
    .once {
      padding: 8px 12px;
      border-radius: 8px;
      background: var(--mat-sys-tertiary-container);
      color: var(--mat-sys-on-tertiary-container);
    }
    .secret-label {
      display: block;
      font: var(--mat-sys-label-large);
      margin-bottom: 4px;
    }
    .secret-row {
      display: flex;
      gap: 8px;
      align-items: center;
    }
    .secret {
      flex: 1 1 auto;
      min-width: 0;
      font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
      font-size: 14px;
      line-height: 1.6;
      padding: 8px 12px;
      border: 1px solid var(--mat-sys-outline);
      border-radius: 4px;
      background: var(--mat-sys-surface-container);
      color: var(--mat-sys-on-surface);
    }
    .copy-status {
      min-height: 1.5em;
      margin: 4px 0 8px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ShowOnceSecret {
  /** What the value is called in the warning ("key", "token"). */
  readonly noun = input.required<string>();
  /** The field's visible label. */
  readonly label = input.required<string>();
  /** The field's id, also its `data-testid`. */
  readonly fieldId = input.required<string>();
  /** The value; the owning dialog empties it when it closes. */
  readonly secret = input.required<string>();
  /** Result of the last copy: true, false (failed) or null (not tried). */
  protected readonly copied = signal<boolean | null>(null);

  protected selectAll(event: FocusEvent): void {
    (event.target as HTMLInputElement).select();
  }
}
