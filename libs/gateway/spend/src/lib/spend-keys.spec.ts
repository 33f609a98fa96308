import { counterRef, parseCounterKey, spendDirtyKey, spendSettledKey } from './spend-keys';

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
