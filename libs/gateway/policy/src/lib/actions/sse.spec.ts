import { assembleChatStream, replayChatStream, splitEvents } from './sse';

const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const base = { id: 'c1', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-4o' };

describe('chat-completion streams for the post phase', () => {
  it('splits events (LF and CRLF terminators, a trailing partial event)', () => {
    const events = splitEvents('data: 1\n\nevent: x\r\ndata: 2\r\n\r\n: comment\n\ndata: tail');
    expect(events.map((e) => [e.raw, e.data])).toEqual([
      ['data: 1\n\n', '1'],
      ['event: x\r\ndata: 2\r\n\r\n', '2'],
      [': comment\n\n', undefined],
      ['data: tail', 'tail'],
    ]);
  });

  it('assembles content, tool calls, finish reason and usage into a chat.completion', () => {
    const text =
      chunk({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }) +
      chunk({ ...base, choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }] }) +
      chunk({ ...base, choices: [{ index: 0, delta: { content: 'lo' }, finish_reason: null }] }) +
      chunk({
        ...base,
        choices: [
          { index: 1, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get', arguments: '{"a"' } }] } },
        ],
      }) +
      chunk({
        ...base,
        choices: [{ index: 1, delta: { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }, finish_reason: 'tool_calls' }],
      }) +
      chunk({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
      chunk({ ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }) +
      'data: [DONE]\n\n';
    expect(assembleChatStream(text)).toEqual({
      id: 'c1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'gpt-4o',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' },
        {
          index: 1,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get', arguments: '{"a":1}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
  });

  it('is undefined for streams that are not chat chunks', () => {
    expect(assembleChatStream('event: message_start\ndata: {"type":"message_start"}\n\n')).toBeUndefined();
  });

  it('replays a completion as chunks and [DONE], and round-trips through the assembler', () => {
    const completion = {
      id: 'c1',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi [REDACTED_EMAIL]' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    };
    const replay = replayChatStream(completion);
    expect(replay.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(splitEvents(replay)).toHaveLength(4);
    expect(assembleChatStream(replay)).toEqual(completion);
  });
});
