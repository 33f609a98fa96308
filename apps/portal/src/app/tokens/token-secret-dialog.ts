import { ChangeDetectionStrategy, Component, OnDestroy, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import type { CreateTokenResponse } from '@ailink/shared-contracts';
import { ShowOnceSecret } from '../shared/show-once-secret';

/**
 * Shows a new token's secret exactly once, with a copy button. The secret is held only by this
 * dialog; when it closes the value is wiped from the dialog and from the response object it was
 * given, so nothing in the portal can show it again.
 */
@Component({
  selector: 'ailink-token-secret-dialog',
  imports: [MatDialogModule, MatButtonModule, ShowOnceSecret],
  template: `
    <h2 mat-dialog-title>Token “{{ name }}” created</h2>
    <mat-dialog-content>
      <ailink-show-once-secret noun="token" label="Token secret" fieldId="token-secret" [secret]="secret()">
        <p class="muted">
          Agents send it as <code>Authorization: Bearer &lt;token&gt;</code>. In lists it appears masked as <code>{{ masked }}</code
          >.
        </p>
      </ailink-show-once-secret>
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-flat-button type="button" mat-dialog-close>I have saved the token</button>
    </mat-dialog-actions>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TokenSecretDialog implements OnDestroy {
  private readonly data = inject<CreateTokenResponse>(MAT_DIALOG_DATA);
  protected readonly name = this.data.name;
  protected readonly masked = this.data.masked;
  protected readonly secret = signal(this.data.token_id);

  ngOnDestroy(): void {
    this.secret.set('');
    this.data.token_id = '';
  }
}
