import { compileRedaction } from './redaction';
import { assembleChatStream, splitEvents } from './sse';
import { GUARD_WINDOW, StreamGuard, type StreamGuardHooks } from './stream-guard';

const base = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o' };
const delta = (content: string, index = 0) =>
  `data: ${JSON.stringify({ ...base, choices: [{ index, delta: { content }, finish_reason: null }] })}\n\n`;
const finish = (index = 0) => `data: ${JSON.stringify({ ...base, choices: [{ index, delta: {}, finish_reason: 'stop' }] })}\n\n`;
const role = `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`;
const DONE = 'data: [DONE]\n\n';

function hooks(): StreamGuardHooks & { names: string[]; blocks: [number, readonly string[]][]; ends: unknown[] } {
  const state = { names: [] as string[], blocks: [] as [number, readonly string[]][], ends: [] as unknown[] };
  return {
    ...state,
    redacted: (names) => void state.names.push(...names),
    blocked: (owner, detected) => {
      state.blocks.push([owner, detected]);
      return `blocked: ${detected.join(', ')}`;
    },
    ended: (completion) => void state.ends.push(completion),
  };
}

/** Feeds SSE text to the guard in the given pieces (each a run of complete events), returns what it relays. */
async function relay(guard: StreamGuard, pieces: string[]): Promise<string> {
  let out = '';
  for (const piece of pieces) out += guard.events(piece);
  return out + (await guard.end(false));
}

function contentOf(sse: string): string {
  return (assembleChatStream(sse)?.['choices'] as { message: { content: string } }[])[0].message.content;
}

describe('StreamGuard: incremental output redaction (guardrails.md §6)', () => {
  const email = compileRedaction({ action: 'redact', patterns: ['email', 'ssn'] });

  it('redacts a match split across many deltas and withholds text near the window end', async () => {
    const h = hooks();
    const guard = new StreamGuard([email], h);
    const text = 'x'.repeat(300) + ' contact jane.doe@example.com or ssn 123-45-6789 ' + 'y'.repeat(300);
    const pieces = [role, ...text.match(/.{1,7}/gs)!.map((p) => delta(p)), finish(), DONE];
    let emittedBeforeEnd = '';
    let sawWithholding = false;
    for (const piece of pieces.slice(0, 60)) {
      emittedBeforeEnd += guard.events(piece);
      const sofar = contentOf(emittedBeforeEnd + DONE) ?? '';
      if (sofar.length < 60 * 7 - GUARD_WINDOW) sawWithholding = true;
    }
    expect(sawWithholding).toBe(true);
    let out = emittedBeforeEnd;
    for (const piece of pieces.slice(60)) out += guard.events(piece);
    out += await guard.end(false);
    expect(contentOf(out)).toBe('x'.repeat(300) + ' contact [REDACTED_EMAIL] or ssn [REDACTED_SSN] ' + 'y'.repeat(300));
    // No relayed delta ever carried a piece of the address or the number.
    expect(out).not.toMatch(/jane|example\.com|6789/);
    expect(h.names).toEqual(['email', 'ssn']);
    expect(out.endsWith(DONE)).toBe(true);
    expect(h.ends).toHaveLength(1);
    expect(contentOf(out)).toBe((h.ends[0] as { choices: { message: { content: string } }[] }).choices[0].message.content);
  });

  it('releases withheld text with the choice’s finish_reason, before it', async () => {
    const guard = new StreamGuard([email], hooks());
    const out = await relay(guard, [role + delta('short answer, mail a@b.io') + finish() + DONE]);
    const events = splitEvents(out).map((e) => e.data);
    expect(events.at(-1)).toBe('[DONE]');
    const finishing = JSON.parse(events.at(-2) as string);
    expect(finishing.choices[0]).toEqual({ index: 0, delta: { content: 'short answer, mail [REDACTED_EMAIL]' }, finish_reason: 'stop' });
  });

  it('releases withheld text before [DONE], or at the end when the stream just stops', async () => {
    const a = await relay(new StreamGuard([email], hooks()), [delta('mail a@b.io') + DONE]);
    expect(contentOf(a)).toBe('mail [REDACTED_EMAIL]');
    expect(a.indexOf('[REDACTED_EMAIL]')).toBeLessThan(a.indexOf('[DONE]'));
    const b = await relay(new StreamGuard([email], hooks()), [delta('mail a@b.io')]);
    expect(contentOf(b + DONE)).toBe('mail [REDACTED_EMAIL]');
  });

  it('guards each choice separately', async () => {
    const out = await relay(new StreamGuard([email], hooks()), [
      delta('a@b.io', 0) + delta('ssn 123-45-6789', 1) + finish(0) + finish(1) + DONE,
    ]);
    const choices = assembleChatStream(out)?.['choices'] as { message: { content: string } }[];
    expect(choices.map((c) => c.message.content)).toEqual(['[REDACTED_EMAIL]', 'ssn [REDACTED_SSN]']);
  });

  it('a blocking redaction ends the stream with a content_blocked error event and [DONE], emitting nothing of the match', async () => {
    const h = hooks();
    const guard = new StreamGuard([email, compileRedaction({ action: 'redact', patterns: ['credit_card'], on_match: 'block' })], h);
    const out = await relay(guard, [delta('z'.repeat(400)), delta('card 4111 1111 1111 1111 end'), delta('more text'), finish(), DONE]);
    expect(out).not.toContain('4111');
    const events = splitEvents(out);
    expect(events.at(-1)?.data).toBe('[DONE]');
    expect(JSON.parse(events.at(-2)?.data as string)).toEqual({
      error: { code: 'content_blocked', message: 'blocked: credit_card', type: 'content_policy_error' },
    });
    expect(out).not.toContain('more text');
    expect(h.blocks).toEqual([[1, ['credit_card']]]);
    // Text before the match that was safe to emit went out.
    expect(contentOf(out)).toMatch(/^z+/);
  });

  it('passes other events (role chunk, tool calls, usage, comments) untouched and assembles what was relayed', async () => {
    const h = hooks();
    const tool = `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: 'f', arguments: '{}' } }] }, finish_reason: null }] })}\n\n`;
    const usage = `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })}\n\n`;
    const out = await relay(new StreamGuard([email], h), [role + ': keep-alive\n\n' + tool + usage + DONE]);
    expect(out).toBe(role + ': keep-alive\n\n' + tool + usage + DONE);
    expect(h.ends[0]).toMatchObject({ usage: { total_tokens: 2 } });
  });

  it('without redactions it only assembles (for the end-of-stream rules)', async () => {
    const h = hooks();
    const text = role + delta('mail a@b.io') + finish() + DONE;
    expect(await relay(new StreamGuard([], h), [text])).toBe(text);
    expect((h.ends[0] as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe('mail a@b.io');
  });
});
