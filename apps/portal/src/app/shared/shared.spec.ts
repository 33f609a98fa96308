import { FormControl } from '@angular/forms';
import { futureDateTimeValidator, httpUrlValidator, integerValidator, localDateTimeToRfc3339 } from './forms';
import { pageOf, sortRows } from './table';
import { tokenState } from './token-state';

describe('sortRows', () => {
  const rows = [
    { name: 'b', n: 2, at: null as string | null },
    { name: 'A', n: 10, at: '2026-01-02' },
    { name: 'c', n: 1, at: '2026-01-01' },
  ];
  const accessors = {
    name: (r: (typeof rows)[number]) => r.name,
    n: (r: (typeof rows)[number]) => r.n,
    at: (r: (typeof rows)[number]) => r.at,
  };

  it('sorts strings case-insensitively and numbers numerically, both ways', () => {
    expect(sortRows(rows, { active: 'name', direction: 'asc' }, accessors).map((r) => r.name)).toEqual(['A', 'b', 'c']);
    expect(sortRows(rows, { active: 'n', direction: 'desc' }, accessors).map((r) => r.n)).toEqual([10, 2, 1]);
  });

  it('puts empty values last and leaves the order alone without a direction', () => {
    expect(sortRows(rows, { active: 'at', direction: 'asc' }, accessors).map((r) => r.at)).toEqual(['2026-01-01', '2026-01-02', null]);
    expect(sortRows(rows, { active: 'at', direction: 'desc' }, accessors).map((r) => r.at)).toEqual(['2026-01-02', '2026-01-01', null]);
    expect(sortRows(rows, { active: 'name', direction: '' }, accessors)).toEqual(rows);
    expect(sortRows(rows, { active: 'unknown', direction: 'asc' }, accessors)).toEqual(rows);
  });
});

describe('pageOf', () => {
  it('slices one page and clamps an index past the end', () => {
    const rows = Array.from({ length: 25 }, (_, i) => i);
    expect(pageOf(rows, { pageIndex: 1, pageSize: 10 })).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(pageOf(rows, { pageIndex: 9, pageSize: 10 })).toEqual([20, 21, 22, 23, 24]);
    expect(pageOf([], { pageIndex: 3, pageSize: 10 })).toEqual([]);
  });
});

describe('validators', () => {
  it.each([
    ['https://api.openai.com', null],
    ['http://127.0.0.1:8080/v1', null],
    ['', null],
    ['ftp://example.com', { httpUrl: true }],
    ['api.openai.com', { httpUrl: true }],
    ['http://', { httpUrl: true }],
  ])('httpUrlValidator(%s)', (value, expected) => {
    expect(httpUrlValidator(new FormControl(value))).toEqual(expected);
  });

  it('integerValidator accepts whole numbers only', () => {
    expect(integerValidator(new FormControl(3))).toBeNull();
    expect(integerValidator(new FormControl(null))).toBeNull();
    expect(integerValidator(new FormControl(1.5))).toEqual({ integer: true });
  });

  it('futureDateTimeValidator wants a future local time', () => {
    expect(futureDateTimeValidator(new FormControl('2999-01-01T00:00'))).toBeNull();
    expect(futureDateTimeValidator(new FormControl(''))).toBeNull();
    expect(futureDateTimeValidator(new FormControl('2000-01-01T00:00'))).toEqual({ past: true });
    expect(futureDateTimeValidator(new FormControl('nonsense'))).toEqual({ dateTime: true });
  });

  it('localDateTimeToRfc3339 converts local time to UTC', () => {
    expect(localDateTimeToRfc3339('2026-03-01T12:00')).toBe(new Date('2026-03-01T12:00').toISOString());
    expect(localDateTimeToRfc3339('')).toBeUndefined();
    expect(localDateTimeToRfc3339('x')).toBeUndefined();
  });
});

describe('tokenState', () => {
  const now = Date.parse('2026-06-01T00:00:00Z');
  const base = { is_active: true, suspended_at: null, expires_at: null };
  it('orders revoked, suspended, expired, active', () => {
    expect(tokenState({ ...base, is_active: false, suspended_at: 'x' }, now)).toBe('revoked');
    expect(tokenState({ ...base, suspended_at: '2026-01-01T00:00:00Z', expires_at: '2020-01-01T00:00:00Z' }, now)).toBe('suspended');
    expect(tokenState({ ...base, expires_at: '2026-06-01T00:00:00Z' }, now)).toBe('expired');
    expect(tokenState({ ...base, expires_at: '2026-06-02T00:00:00Z' }, now)).toBe('active');
    expect(tokenState(base, now)).toBe('active');
  });
});
