/** Argument checks shared by both backends, so that they reject the same inputs the same way. */

export function assertTtlSecs(ttlSecs: number, what = 'ttlSecs'): void {
  if (!Number.isInteger(ttlSecs) || ttlSecs < 1) {
    throw new RangeError(`${what} must be a positive integer, got ${ttlSecs}`);
  }
}

export function assertInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`${what} must be a safe integer, got ${value}`);
  }
}

export function assertWindow(limit: number, windowMs: number): void {
  if (!Number.isInteger(windowMs) || windowMs < 1) {
    throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
  }
  if (!Number.isInteger(limit)) {
    throw new RangeError(`limit must be an integer, got ${limit}`);
  }
}

export function assertNowMs(nowMs: number | undefined): void {
  if (nowMs !== undefined && (!Number.isSafeInteger(nowMs) || nowMs < 0)) {
    throw new RangeError(`nowMs must be a non-negative integer, got ${nowMs}`);
  }
}

export function assertCount(count: number, what = 'count'): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`${what} must be a positive integer, got ${count}`);
  }
}

export function assertMaxLength(maxLength: number | undefined): void {
  if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 0)) {
    throw new RangeError(`maxLength must be a non-negative integer, got ${maxLength}`);
  }
}
