import { diffSnapshots, diffSummary, displayValue } from './admin-activity-diff';

describe('diffSnapshots', () => {
  it('compares nested fields by dotted path and arrays whole', () => {
    const rows = diffSnapshots(
      { name: 'a', is_active: true, circuit_breaker: { enabled: true, failure_threshold: 3 }, scopes: ['x'], gone: 1 },
      { name: 'b', is_active: true, circuit_breaker: { enabled: false, failure_threshold: 3 }, scopes: ['x', 'y'], tags: {} },
    );
    expect(rows).toEqual([
      { field: 'name', before: 'a', after: 'b', change: 'changed' },
      { field: 'is_active', before: 'true', after: 'true', change: 'unchanged' },
      { field: 'circuit_breaker.enabled', before: 'true', after: 'false', change: 'changed' },
      { field: 'circuit_breaker.failure_threshold', before: '3', after: '3', change: 'unchanged' },
      { field: 'scopes', before: '["x"]', after: '["x","y"]', change: 'changed' },
      { field: 'tags', before: null, after: '{}', change: 'added' },
      { field: 'gone', before: '1', after: null, change: 'removed' },
    ]);
    expect(diffSummary(rows)).toBe('3 fields changed, 1 added, 1 removed');
  });

  it('shows a create as all added and a delete as all removed', () => {
    expect(diffSnapshots(null, { id: 'x', secret: '***' }).map((r) => r.change)).toEqual(['added', 'added']);
    expect(diffSnapshots({ id: 'x' }, null)).toEqual([{ field: 'id', before: 'x', after: null, change: 'removed' }]);
    expect(diffSummary(diffSnapshots({ a: null }, { a: null }))).toBe('No field changed');
    expect(diffSummary(diffSnapshots({ a: 1 }, { a: 2 }))).toBe('1 field changed');
  });

  it('tells null apart from a missing field, and treats non-objects as no fields', () => {
    expect(diffSnapshots({ a: null }, {})).toEqual([{ field: 'a', before: 'null', after: null, change: 'removed' }]);
    expect(diffSnapshots('text', [1, 2])).toEqual([]);
    expect(displayValue(undefined)).toBe('');
  });
});
