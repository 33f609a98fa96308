import { budgetSummary, linesOf, modelsSummary, pairsOf, pairsText } from './identity-format';

describe('identity page helpers', () => {
  it('reads one entry per line or comma', () => {
    expect(linesOf(' gpt-4o*\n\n claude-*, *mini* ')).toEqual(['gpt-4o*', 'claude-*', '*mini*']);
    expect(linesOf('')).toEqual([]);
  });

  it('reads key = value lines and reports the malformed ones', () => {
    expect(pairsOf('admins = admin\nstaff=member\noops\n= x')).toEqual({
      pairs: { admins: 'admin', staff: 'member' },
      bad: ['oops', '= x'],
    });
    expect(pairsText({ a: 'b', c: 'd' })).toBe('a = b\nc = d');
  });

  it('summarises models and budgets', () => {
    expect(modelsSummary(null)).toBe('All models');
    expect(modelsSummary([])).toBe('No models');
    expect(modelsSummary(['gpt-4o*', 'claude-*'])).toBe('gpt-4o*, claude-*');
    expect(budgetSummary({ max_budget_usd: '250.5000', budget_duration: 'weekly' })).toBe('$250.50 per week');
    expect(budgetSummary({ max_budget_usd: '10.0000', budget_duration: null })).toBe('$10.00 per month');
    expect(budgetSummary({ max_budget_usd: null, budget_duration: null })).toBe('No budget');
  });
});
