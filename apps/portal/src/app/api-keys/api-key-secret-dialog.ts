import { ClipboardModule } from '@angular/cdk/clipboard';
import { ChangeDetectionStrategy, Component, OnDestroy, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import type { CreateApiKeyResponse } from '@ailink/shared-contracts';

/**
 * Shows a new API key exactly once, with a copy button. The key is held only by this dialog; when
 * it closes the value is wiped from the dialog and from the response object it was given, so nothing
 * in the portal can show it again.
 */
@Component({
  selector: 'ailink-api-key-secret-dialog',
  imports: [MatDialogModule, MatButtonModule, ClipboardModule],
  template: `
    <h2 mat-dialog-title>API key “{{ name }}” created</h2>
    <mat-dialog-content>
      <p class="once" data-testid="show-once-note">
        <strong>Copy this key now. You won't see it again:</strong> AIlink stores only its hash, and neither the gateway nor this portal can
        show it later.
      </p>
      <label class="secret-label" for="api-key-secret">API key</label>
      <div class="secret-row">
        <input
          id="api-key-secret"
          class="secret"
          type="text"
          readonly
          [value]="key()"
          data-testid="api-key-secret"
          (focus)="selectAll($event)"
        />
        <button mat-stroked-button type="button" [cdkCopyToClipboard]="key()" (cdkCopyToClipboardCopied)="copied.set($event)">Copy</button>
      </div>
      <p class="copy-status" role="status">
        @if (copied() === true) {
          Copied to the clipboard.
        } @else if (copied() === false) {
          Copying failed: select the text and copy it yourself.
        }
      </p>
      <p class="muted">
        Send it as <code>Authorization: Bearer &lt;key&gt;</code> to the Management API. In the list it appears as
        <code>{{ prefix }}…</code>.
      </p>
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-flat-button type="button" mat-dialog-close>I have saved the key</button>
    </mat-dialog-actions>
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
export class ApiKeySecretDialog implements OnDestroy {
  private readonly data = inject<CreateApiKeyResponse>(MAT_DIALOG_DATA);
  protected readonly name = this.data.name;
  protected readonly prefix = this.data.key_prefix;
  protected readonly key = signal(this.data.key);
  /** Result of the last copy: true, false (failed) or null (not tried). */
  protected readonly copied = signal<boolean | null>(null);

  protected selectAll(event: FocusEvent): void {
    (event.target as HTMLInputElement).select();
  }

  ngOnDestroy(): void {
    this.key.set('');
    this.data.key = '';
  }
}
