import type { Approval, ApprovalStatus } from '@ailink/shared-contracts';

/** Status filters of the inbox, in menu order (`''` = every status). */
export const STATUS_FILTERS: readonly { value: ApprovalStatus | ''; label: string }[] = [
  { value: 'pending', label: 'Pending' },
  { value: '', label: 'All' },
  { value: 'approved', label: 'Approved' },
  { value: 'rejected', label: 'Rejected' },
  { value: 'expired', label: 'Expired' },
];

export const STATUS_LABELS: Readonly<Record<ApprovalStatus, string>> = {
  pending: 'Pending',
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired',
};

export function statusBadge(status: ApprovalStatus): string {
  switch (status) {
    case 'approved':
      return 'badge-ok';
    case 'rejected':
      return 'badge-bad';
    case 'expired':
      return 'badge-warn';
    default:
      return '';
  }
}

/** `tok_0123456789ab…` */
export function shortToken(id: string): string {
  return id.length > 16 ? `${id.slice(0, 14)}…` : id;
}

/** One line a screen reader can announce for a row: "POST /v1/chat/completions by support-bot". */
export function requestLabel(approval: Approval): string {
  const s = approval.request_summary;
  const agent = s.agent ? ` by ${s.agent}` : '';
  return `${s.method || approval.request_method} ${s.path || approval.request_path}${agent}`;
}

/** A body preview as shown: pretty-printed when it is JSON, else as stored. */
export function formatPreview(preview: string | null): string | null {
  if (preview === null) return null;
  try {
    return JSON.stringify(JSON.parse(preview), null, 2);
  } catch {
    return preview;
  }
}

/** Whether an approval still awaits a decision (pending and not past its expiry). */
export function isOpen(approval: Approval, now = Date.now()): boolean {
  return approval.status === 'pending' && new Date(approval.expires_at).getTime() > now;
}
