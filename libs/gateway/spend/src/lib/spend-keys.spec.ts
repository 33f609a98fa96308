import { counterRef, currentCounterRef, currentCounterRefs, parseCounterKey, spendDirtyKey, spendSettledKey } from './spend-keys';

describe('spend keys (data-model.md, Redis keyspace)', () => {
  it('names counters, reservations, dirty sets and guards', () => {
    const ref = counterRef('token', 'tok_abc', 'monthly', new Date('2026-11-25T00:00:00Z'));
    expect(ref.key).toBe('ailink:spend:token:tok_abc:2026-11');
    expect(ref.reservationKey).toBe('ailink:spendres:token:tok_abc:2026-11');
    expect(ref.expireAtSecs).toBe(Date.parse('2026-12-02T00:00:00Z') / 1000);
    expect(spendDirtyKey('org')).toBe('ailink:spend:dirty:org');
    expect(spendSettledKey('req_1')).toBe('ailink:spendsettled:req_1:0');
  });

  it('parses counter keys back, session ids with colons included', () => {
    expect(parseCounterKey('ailink:spend:token:tok_abc:2026-11-25')).toEqual({ scope: 'token', id: 'tok_abc', periodKey: '2026-11-25' });
    expect(parseCounterKey('ailink:spend:session:p1:a:b:lifetime')).toEqual({ scope: 'session', id: 'p1:a:b', periodKey: 'lifetime' });
    expect(parseCounterKey('ailink:spend:dirty:org')).toBeNull();
    expect(parseCounterKey('other')).toBeNull();
  });
});

describe('currentCounterRef', () => {
  it('hands out one counter per scope, id and period until the period ends, then the next period’s', () => {
    const id = 'tok_' + 'c'.repeat(24);
    const morning = Date.UTC(2026, 10, 26, 8, 0, 0);
    const daily = currentCounterRef('token', id, 'daily', morning);
    expect(daily).toEqual(counterRef('token', id, 'daily', new Date(morning)));
    expect(currentCounterRef('token', id, 'daily', Date.UTC(2026, 10, 26, 23, 59, 59, 999))).toBe(daily);
    const next = currentCounterRef('token', id, 'daily', Date.UTC(2026, 10, 27, 0, 0, 0));
    expect(next.periodKey).toBe('2026-11-27');
    expect(next).toEqual(counterRef('token', id, 'daily', new Date(Date.UTC(2026, 10, 27))));
    expect(currentCounterRef('token', id, 'monthly', morning).periodKey).toBe('2026-11');
    expect(currentCounterRef('project', id, 'daily', morning)).not.toBe(daily);
    const lifetime = currentCounterRef('token', id, 'lifetime', morning);
    expect(currentCounterRef('token', id, 'lifetime', Date.UTC(2030, 0, 1))).toBe(lifetime);
  });
});

describe('currentCounterRefs', () => {
  it('hands out one array per scope, id and period list until the first of its periods ends', () => {
    const id = 'tok_' + 'd'.repeat(24);
    const periods = ['daily', 'monthly', 'lifetime'] as const;
    const morning = Date.UTC(2026, 10, 30, 8, 0, 0);
    const refs = currentCounterRefs('token', id, periods, morning);
    expect(refs).toEqual(periods.map((p) => counterRef('token', id, p, new Date(morning))));
    expect(currentCounterRefs('token', id, periods, Date.UTC(2026, 10, 30, 23, 59, 59, 999))).toBe(refs);
    // The day ends first: a new array, whose daily and monthly counters moved on together (month end too).
    const next = currentCounterRefs('token', id, periods, Date.UTC(2026, 11, 1, 0, 0, 0));
    expect(next).not.toBe(refs);
    expect(next.map((r) => r.periodKey)).toEqual(['2026-12-01', '2026-12', 'lifetime']);
    expect(currentCounterRefs('project', id, periods, morning)).not.toBe(refs);
    expect(currentCounterRefs('token', id, ['daily'], morning)).toEqual([refs[0]]);
  });
});
