import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormControl, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { ApiError, ApprovalsClient, toApiError } from '@ailink/portal-data-access';
import type { Approval, ApprovalDecisionResponse } from '@ailink/shared-contracts';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { STATUS_LABELS, formatPreview, isOpen, statusBadge } from './approval-format';

export interface ApprovalReviewData {
  readonly approval: Approval;
  /** The caller holds `approvals:write`. */
  readonly canDecide: boolean;
}

/** What the dialog closes with after a decision call. */
export type ApprovalReviewResult = ApprovalDecisionResponse;

/**
 * Review of one approval: what the held request is (method, path, token, agent, model, upstream,
 * expiry) and its scrubbed body preview, with an optional comment and Approve / Reject. Decided
 * approvals show their outcome instead. Close is focused first, so Enter never decides by accident.
 */
@Component({
  selector: 'ailink-approval-review-dialog',
  imports: [DatePipe, ReactiveFormsModule, MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, ApiErrorAlert],
  template: `
    <h2 mat-dialog-title class="title">
      <span class="method">{{ a.request_summary.method || a.request_method }}</span
      >&ngsp;<span class="path">{{ a.request_summary.path || a.request_path }}</span>
    </h2>
    <mat-dialog-content>
      <p>
        <span [class]="'badge ' + badge" data-testid="review-status">{{ statusLabel }}</span>
        @if (open) {
          <span class="muted"> · expires {{ a.expires_at | date: 'medium' }}</span>
        }
      </p>
      <dl class="facts" data-testid="review-facts">
        <dt>Token</dt>
        <dd>
          <code>{{ a.token_id }}</code>
        </dd>
        <dt>Agent</dt>
        <dd>{{ a.request_summary.agent ?? '—' }}</dd>
        <dt>Model</dt>
        <dd>{{ a.request_summary.model ?? '—' }}</dd>
        <dt>Upstream</dt>
        <dd>{{ a.request_summary.upstream ?? '—' }}</dd>
        <dt>Mode</dt>
        <dd>{{ a.mode === 'wait' ? 'Waiting (the request is held open)' : 'Asynchronous (the agent retries)' }}</dd>
        <dt>Requested</dt>
        <dd>{{ a.created_at | date: 'medium' }}</dd>
        <dt>Policy version</dt>
        <dd>{{ a.policy_version }}</dd>
        @if (a.reviewed_at) {
          <dt>Decided</dt>
          <dd>
            {{ a.reviewed_at | date: 'medium' }} by <code>{{ a.reviewed_by }}</code> ({{ a.decision_channel }})
          </dd>
        }
        @if (a.decision_comment) {
          <dt>Comment</dt>
          <dd>{{ a.decision_comment }}</dd>
        }
      </dl>
      <h3 id="preview-heading">Request body</h3>
      @if (preview; as body) {
        <pre class="preview" tabindex="0" aria-labelledby="preview-heading" data-testid="review-preview">{{ body }}</pre>
      } @else {
        <p class="muted" data-testid="review-no-preview">
          No body preview: the request had no body, or its token keeps no bodies (log level 0).
        </p>
      }
      @if (open && data.canDecide) {
        <mat-form-field appearance="outline" class="comment" subscriptSizing="dynamic">
          <mat-label>Comment (optional)</mat-label>
          <textarea matInput [formControl]="comment" rows="2" maxlength="2000"></textarea>
        </mat-form-field>
      } @else if (open) {
        <p class="muted">You can read approvals but not decide them (approvals:write is required).</p>
      }
      <ailink-api-error-alert [error]="error()" prefix="Could not record the decision: " testId="decision-error" />
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button type="button" mat-dialog-close cdkFocusInitial>Close</button>
      @if (open && data.canDecide) {
        <button mat-stroked-button type="button" class="danger" [disabled]="busy()" (click)="decide('rejected')">Reject</button>
        <button mat-flat-button type="button" [disabled]="busy()" (click)="decide('approved')">Approve</button>
      }
    </mat-dialog-actions>
  `,
  styles: `
    .title {
      overflow-wrap: anywhere;
    }
    .method {
      font-weight: 700;
    }
    .path,
    .preview,
    code {
      font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
    }
    .path {
      font-size: 0.85em;
    }
    .facts {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 4px 16px;
      margin: 8px 0 16px;
    }
    .facts dt {
      font-weight: 500;
    }
    .facts dd {
      margin: 0;
      overflow-wrap: anywhere;
    }
    h3 {
      font: var(--mat-sys-title-small);
      margin: 8px 0;
    }
    .preview {
      max-height: 320px;
      overflow: auto;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
      font-size: 12px;
      padding: 8px 12px;
      border-radius: 8px;
      background: var(--mat-sys-surface-container);
    }
    .comment {
      width: 100%;
      margin-top: 12px;
    }
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ApprovalReviewDialog {
  protected readonly data = inject<ApprovalReviewData>(MAT_DIALOG_DATA);
  private readonly ref = inject<MatDialogRef<ApprovalReviewDialog, ApprovalReviewResult>>(MatDialogRef);
  private readonly client = inject(ApprovalsClient);

  protected readonly a = this.data.approval;
  protected readonly open = isOpen(this.a);
  protected readonly badge = statusBadge(this.a.status);
  protected readonly statusLabel = STATUS_LABELS[this.a.status];
  protected readonly preview = formatPreview(this.a.request_summary.body_preview);
  protected readonly comment = new FormControl('', { nonNullable: true, validators: [Validators.maxLength(2000)] });
  protected readonly busy = signal(false);
  protected readonly error = signal<ApiError | null>(null);

  protected decide(decision: 'approved' | 'rejected'): void {
    if (this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    this.client.decide(this.a.id, decision, this.comment.value).subscribe({
      next: (result) => this.ref.close(result),
      error: (error: unknown) => {
        this.busy.set(false);
        this.error.set(toApiError(error));
      },
    });
  }
}
