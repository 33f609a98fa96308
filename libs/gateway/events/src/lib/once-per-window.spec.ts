import { OncePerWindow } from './once-per-window';

describe('OncePerWindow', () => {
  it('lets one occurrence per key through a window and reports how many it held back', () => {
    const gate = new OncePerWindow(60_000);
    expect(gate.admit('a', 0)).toBe(0);
    expect(gate.admit('a', 1_000)).toBeNull();
    expect(gate.admit('b', 1_000)).toBe(0);
    expect(gate.admit('a', 59_999)).toBeNull();
    expect(gate.admit('a', 60_000)).toBe(2);
    expect(gate.admit('a', 60_001)).toBeNull();
    expect(gate.admit('a', 120_000)).toBe(1);
  });

  it('forgets expired keys once it holds more than its maximum', () => {
    const gate = new OncePerWindow(1_000, 2);
    gate.admit('a', 0);
    gate.admit('b', 0);
    gate.admit('c', 5_000); // over the maximum: a and b have expired and go
    gate.admit('a', 5_001); // remembered afresh, so the next one within the window is held back
    expect(gate.admit('a', 5_002)).toBeNull();
    expect(gate.admit('c', 5_003)).toBeNull();
  });
});
