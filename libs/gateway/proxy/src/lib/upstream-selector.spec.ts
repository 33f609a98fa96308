import { WeightedRoundRobin, normaliseBase, priorityTiers } from './upstream-selector';

describe('upstream selection', () => {
  it('spreads picks in proportion to weight, smoothly', () => {
    const rr = new WeightedRoundRobin();
    const targets = [
      { url: 'a', weight: 5, priority: 1 },
      { url: 'b', weight: 1, priority: 1 },
      { url: 'c', weight: 1, priority: 1 },
    ];
    const picks = Array.from({ length: 7 }, () => rr.pick('k', targets).url);
    expect(picks.filter((p) => p === 'a')).toHaveLength(5);
    expect(picks).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
  });

  it('groups targets by priority, lowest first', () => {
    const tiers = priorityTiers([
      { url: 'x', weight: 1, priority: 2 },
      { url: 'y', weight: 1, priority: 1 },
      { url: 'z', weight: 1, priority: 2 },
    ]);
    expect(tiers.map((t) => t.map((u) => u.url))).toEqual([['y'], ['x', 'z']]);
  });

  it('normalises trailing slashes', () => {
    expect(normaliseBase('http://h/v1/')).toBe('http://h/v1');
    expect(normaliseBase('http://h')).toBe('http://h');
  });
});
