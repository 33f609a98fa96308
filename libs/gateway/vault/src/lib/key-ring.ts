import { createHash } from 'node:crypto';
import { KEK_ID_HEX_LENGTH, KEY_BYTES } from './sealed-secret';

/** `kek_id` = first 16 hex characters of SHA-256(KEK) (vault-and-spend.md §1). Not secret. */
export function kekIdOf(kek: Buffer): string {
  if (kek.length !== KEY_BYTES) throw new RangeError(`a KEK is ${KEY_BYTES} bytes, got ${kek.length}`);
  return createHash('sha256').update(kek).digest('hex').slice(0, KEK_ID_HEX_LENGTH);
}

/** The key-encryption keys this process holds (current + optional previous), by `kek_id`. */
export class KeyRing {
  readonly currentKekId: string;
  readonly previousKekId: string | null;
  private readonly keys = new Map<string, Buffer>();

  constructor(current: Buffer, previous?: Buffer) {
    this.currentKekId = kekIdOf(current);
    this.keys.set(this.currentKekId, Buffer.from(current));
    this.previousKekId = previous ? kekIdOf(previous) : null;
    if (previous && this.previousKekId) this.keys.set(this.previousKekId, Buffer.from(previous));
  }

  has(kekId: string): boolean {
    return this.keys.has(kekId);
  }

  /** The key, or undefined; callers must not keep or modify it. */
  get(kekId: string): Buffer | undefined {
    return this.keys.get(kekId);
  }

  /** Loaded `kek_id`s, current first. */
  get ids(): string[] {
    return [...this.keys.keys()];
  }
}
