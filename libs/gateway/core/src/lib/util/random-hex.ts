import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 8192;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

/**
 * `bytes` cryptographically random bytes as lowercase hex, drawn from a pool refilled with
 * `randomFillSync` 8 KiB at a time (the same entropy as `randomBytes`, without a native call per
 * request id or span id on the hot path). Not for key material: use `randomBytes` for secrets.
 */
export function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) throw new RangeError('randomHex: at most 8192 bytes');
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
