import { decimalToMicros, formatDollars, microsToDecimal, microsToUsd, parseUsd } from './money';

describe('money', () => {
  it('reads numbers and decimal strings, rounding half up to 6 places', () => {
    expect(parseUsd(5)).toEqual({ ok: true, micros: 5_000_000 });
    expect(parseUsd('0.001250')).toEqual({ ok: true, micros: 1250 });
    expect(parseUsd('0.0012505')).toEqual({ ok: true, micros: 1251 });
    expect(parseUsd(0.1)).toEqual({ ok: true, micros: 100_000 });
    expect(parseUsd('12')).toEqual({ ok: true, micros: 12_000_000 });
  });

  it('refuses wrong types, negatives and amounts over numeric(12,6)', () => {
    expect(parseUsd('abc')).toEqual({ ok: false, problem: 'type' });
    expect(parseUsd(true)).toEqual({ ok: false, problem: 'type' });
    expect(parseUsd(null)).toEqual({ ok: false, problem: 'type' });
    expect(parseUsd(Number.NaN)).toEqual({ ok: false, problem: 'type' });
    expect(parseUsd(-1)).toEqual({ ok: false, problem: 'negative' });
    expect(parseUsd('-0.5')).toEqual({ ok: false, problem: 'negative' });
    expect(parseUsd('1000000')).toEqual({ ok: false, problem: 'too_large' });
    expect(parseUsd(1e7)).toEqual({ ok: false, problem: 'too_large' });
  });

  it('formats', () => {
    expect(microsToDecimal(1250)).toBe('0.001250');
    expect(microsToDecimal(5_000_000)).toBe('5.000000');
    expect(microsToUsd(10_500)).toBe(0.0105);
    expect(decimalToMicros('2.500000')).toBe(2_500_000);
    expect(formatDollars(5_000_000)).toBe('$5.00');
    expect(formatDollars(10_500)).toBe('$0.0105');
  });
});
