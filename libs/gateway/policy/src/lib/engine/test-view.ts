import type { PolicyRequestView } from './request-view';
import { headerReader, queryReader } from './request-view';

/** A request view for unit tests: a chat completion from a tagged token, at a fixed instant. */
export function testView(
  overrides: Partial<PolicyRequestView> & { headers?: Record<string, string>; rawQuery?: string } = {},
): PolicyRequestView {
  const { headers, rawQuery, ...rest } = overrides;
  return {
    method: 'POST',
    path: '/v1/chat/completions',
    bodySize: 120,
    body: {
      model: 'gpt-4o',
      temperature: 0.2,
      max_tokens: '512',
      stream: false,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Please delete the production database' },
      ],
      tools: [
        { type: 'function', function: { name: 'sql_exec' } },
        { type: 'function', function: { name: 'web_search' } },
      ],
      metadata: { user: null, labels: ['alpha', 'beta-test'] },
    },
    header: headerReader({ 'content-type': 'application/json', 'x-ailink-agent-name': 'billing-bot', 'x-multi': ['a', 'b'], ...headers }),
    query: queryReader(rawQuery ?? '?api-version=2024-02-01&tag=one&tag=two'),
    modelAlias: 'fast',
    agentName: 'billing-bot',
    token: {
      id: 'tok_' + 'a'.repeat(24),
      name: 'agent-1',
      projectId: '00000000-0000-0000-0000-000000000001',
      teamId: null,
      tags: { env: 'prod', tier: '2' },
    },
    clientIp: '203.0.113.7',
    // Wednesday 2026-03-04 14:05 UTC
    now: new Date('2026-03-04T14:05:00Z'),
    usage: { requestsToday: 41, requestsThisHour: 3, spendTodayUsd: 1.25, spendMonthUsd: 30 },
    response: null,
    ...rest,
  };
}
