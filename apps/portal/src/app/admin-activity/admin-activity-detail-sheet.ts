import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatSlideToggleModule } from '@angular/material/slide-toggle';
import type { AdminAuditEntry } from '@ailink/shared-contracts';
import { authMethodLabel } from '../auth-method-label';
import { actorLabel, isTruncated, kindLabel } from './admin-activity-format';
import { diffSnapshots, diffSummary, type DiffChange } from './admin-activity-diff';

export interface AdminActivityDetailData {
  readonly entry: AdminAuditEntry;
}

/** Filters the sheet asks the page to apply when it closes ("all changes to this resource", "all writes by this actor"). */
export interface AdminActivityDetailResult {
  readonly actor?: string;
  readonly resourceKind?: string;
  readonly resourceId?: string;
}

const CHANGE_LABELS: Record<DiffChange, string> = { added: 'Added', removed: 'Removed', changed: 'Changed', unchanged: 'Unchanged' };

/** The side sheet of one admin audit entry: who, what and when, and the before/after snapshots as a diff. */
@Component({
  selector: 'ailink-admin-activity-detail-sheet',
  imports: [DatePipe, MatDialogModule, MatButtonModule, MatSlideToggleModule],
  templateUrl: './admin-activity-detail-sheet.html',
  styleUrl: './admin-activity-detail-sheet.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AdminActivityDetailSheet {
  private readonly ref = inject<MatDialogRef<AdminActivityDetailSheet, AdminActivityDetailResult>>(MatDialogRef);
  protected readonly entry = inject<AdminActivityDetailData>(MAT_DIALOG_DATA).entry;

  protected readonly kind = kindLabel(this.entry.resource_kind);
  protected readonly actor = actorLabel(this.entry);
  protected readonly authMethod = authMethodLabel(this.entry.auth_method);
  protected readonly changeLabels = CHANGE_LABELS;
  protected readonly truncated = isTruncated(this.entry.before) || isTruncated(this.entry.after);
  protected readonly noSnapshots = this.entry.before === null && this.entry.after === null;

  protected readonly showUnchanged = signal(false);
  private readonly allRows = diffSnapshots(this.entry.before, this.entry.after);
  protected readonly summary = diffSummary(this.allRows);
  protected readonly unchangedCount = this.allRows.filter((r) => r.change === 'unchanged').length;
  protected readonly rows = computed(() => (this.showUnchanged() ? this.allRows : this.allRows.filter((r) => r.change !== 'unchanged')));

  protected filterByResource(): void {
    this.ref.close({ resourceKind: this.entry.resource_kind, resourceId: this.entry.resource_id ?? undefined });
  }

  protected filterByActor(): void {
    this.ref.close({ actor: this.entry.actor });
  }
}
