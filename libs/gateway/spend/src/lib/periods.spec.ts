import { counterExpireAtSecs, isoWeek, lastDays, periodEndMs, periodKey } from './periods';

describe('spend periods (UTC)', () => {
  const at = new Date('2026-11-25T23:59:59.999Z');

  it('formats period keys', () => {
    expect(periodKey('daily', at)).toBe('2026-11-25');
    expect(periodKey('monthly', at)).toBe('2026-11');
    expect(periodKey('yearly', at)).toBe('2026');
    expect(periodKey('lifetime', at)).toBe('lifetime');
    expect(periodKey('weekly', at)).toBe('2026-W48');
  });

  it('uses ISO week-years: 2024-12-30 is 2025-W01, 2021-01-03 is 2020-W53', () => {
    expect(periodKey('weekly', new Date('2024-12-30T10:00:00Z'))).toBe('2025-W01');
    expect(isoWeek(new Date('2021-01-03T00:00:00Z'))).toEqual({ year: 2020, week: 53 });
    expect(periodKey('weekly', new Date('2026-01-01T00:00:00Z'))).toBe('2026-W01');
  });

  it('ends periods at the next UTC boundary; counters expire a day later; lifetime never', () => {
    expect(new Date(periodEndMs('daily', at) as number).toISOString()).toBe('2026-11-26T00:00:00.000Z');
    expect(new Date(periodEndMs('weekly', at) as number).toISOString()).toBe('2026-11-30T00:00:00.000Z');
    expect(new Date(periodEndMs('monthly', new Date('2026-12-31T12:00:00Z')) as number).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(counterExpireAtSecs('daily', at)).toBe(Date.parse('2026-11-27T00:00:00Z') / 1000);
    expect(counterExpireAtSecs('lifetime', at)).toBeNull();
  });

  it('lists the last N days, oldest first', () => {
    expect(lastDays(3, new Date('2026-03-01T05:00:00Z'))).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });
});
