import { ChangeDetectionStrategy, Component, OnDestroy, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import type { CreateApiKeyResponse } from '@ailink/shared-contracts';
import { ShowOnceSecret } from '../shared/show-once-secret';

/**
 * Shows a new API key exactly once, with a copy button. The key is held only by this dialog; when
 * it closes the value is wiped from the dialog and from the response object it was given, so nothing
 * in the portal can show it again.
 */
@Component({
  selector: 'ailink-api-key-secret-dialog',
  imports: [MatDialogModule, MatButtonModule, ShowOnceSecret],
  template: `
    <h2 mat-dialog-title>API key “{{ name }}” created</h2>
    <mat-dialog-content>
      <ailink-show-once-secret noun="key" label="API key" fieldId="api-key-secret" [secret]="key()">
        <p class="muted">
          Send it as <code>Authorization: Bearer &lt;key&gt;</code> to the Management API. In the list it appears as
          <code>{{ prefix }}…</code>.
        </p>
      </ailink-show-once-secret>
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-flat-button type="button" mat-dialog-close>I have saved the key</button>
    </mat-dialog-actions>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ApiKeySecretDialog implements OnDestroy {
  private readonly data = inject<CreateApiKeyResponse>(MAT_DIALOG_DATA);
  protected readonly name = this.data.name;
  protected readonly prefix = this.data.key_prefix;
  protected readonly key = signal(this.data.key);

  ngOnDestroy(): void {
    this.key.set('');
    this.data.key = '';
  }
}
