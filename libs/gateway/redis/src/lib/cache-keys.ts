/** Pub/sub channel carrying `{"kind","id","project_id"}` for every resolution-cache change. */
export const INVALIDATION_CHANNEL = 'ailink:invalidate';

/** L2 entry of a resolved object: string (JSON), TTL `AILINK_L2_TTL_SECS`. */
export function resourceKey(kind: string, id: string): string {
  return `ailink:res:${kind}:${id}`;
}

/** Negative L2 entry: the loader found nothing for this id. */
export function negativeResourceKey(kind: string, id: string): string {
  return `ailink:res:neg:${kind}:${id}`;
}

/** Version counter bumped by every change; guards L2 refills. TTL = L2 TTL + 60 s. */
export function resourceVersionKey(kind: string, id: string): string {
  return `ailink:resver:${kind}:${id}`;
}

const KIND_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** Kinds are lowercase words without `:`; `neg` is reserved for negative entries. */
export function assertResourceKind(kind: string): void {
  if (!KIND_PATTERN.test(kind) || kind === 'neg') {
    throw new Error(`Invalid cache kind "${kind}": use lowercase letters, digits, "_" or "-"`);
  }
}
