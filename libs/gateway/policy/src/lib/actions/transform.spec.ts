import type { TransformOperation } from '@ailink/shared-contracts';
import { applyTransform, removePath, setPath, type HeaderSink } from './transform';

function sink(): HeaderSink & { set_: Record<string, string>; removed: string[] } {
  const state = { set_: {} as Record<string, string>, removed: [] as string[] };
  return {
    ...state,
    set: (name, value) => void (state.set_[name] = value),
    remove: (name) => void state.removed.push(name),
  };
}

const chat = () => ({
  model: 'gpt-4o',
  messages: [
    { role: 'system', content: 'Be terse.' },
    { role: 'user', content: 'Hello Bob, call Bob now' },
  ],
});

describe('transform operations (policies.md §7)', () => {
  it('set_header / remove_header go to the header sink (lower-case), never the protected headers', () => {
    const headers = sink();
    const ops: TransformOperation[] = [
      { type: 'set_header', name: 'X-Team', value: 'blue' },
      { type: 'remove_header', name: 'X-Debug' },
      { type: 'set_header', name: 'Authorization', value: 'stolen' },
      { type: 'remove_header', name: 'cookie' },
    ];
    const r = applyTransform(ops, chat(), headers);
    expect(r.changed).toBe(false);
    expect(headers.set_).toEqual({ 'x-team': 'blue' });
    expect(headers.removed).toEqual(['x-debug']);
  });

  it('append_system_prompt adds a system message at the end', () => {
    const body = chat();
    expect(applyTransform([{ type: 'append_system_prompt', text: 'No PII.' }], body, undefined).changed).toBe(true);
    expect(body.messages.at(-1)).toEqual({ role: 'system', content: 'No PII.' });
  });

  it('prepend_system_prompt prefixes the first system message with text + \\n, or inserts one at index 0', () => {
    const body = chat();
    applyTransform([{ type: 'prepend_system_prompt', text: 'Policy A.' }], body, undefined);
    expect(body.messages[0]).toEqual({ role: 'system', content: 'Policy A.\nBe terse.' });
    const without = { messages: [{ role: 'user', content: 'hi' }] };
    applyTransform([{ type: 'prepend_system_prompt', text: 'Policy A.' }], without, undefined);
    expect(without.messages).toEqual([
      { role: 'system', content: 'Policy A.' },
      { role: 'user', content: 'hi' },
    ]);
    const parts = { messages: [{ role: 'system', content: [{ type: 'text', text: 'Parts.' }] }] };
    applyTransform([{ type: 'prepend_system_prompt', text: 'P.' }], parts, undefined);
    expect(parts.messages[0].content).toEqual([{ type: 'text', text: 'P.\nParts.' }]);
  });

  it('regex_replace replaces in every string value (RE2, $1 groups), globally by default or once per string', () => {
    const body = chat();
    applyTransform([{ type: 'regex_replace', pattern: '(?i)bob', replacement: '[name]' }], body, undefined);
    expect(body.messages[1].content).toBe('Hello [name], call [name] now');
    const once = chat();
    applyTransform([{ type: 'regex_replace', pattern: 'B(o)b', replacement: 'R$1b', global: false }], once, undefined);
    expect(once.messages[1].content).toBe('Hello Rob, call Bob now');
    // Keys are not touched; a body with no match is unchanged.
    const other = { Bob: 'x' };
    expect(applyTransform([{ type: 'regex_replace', pattern: 'Bob', replacement: 'y' }], other, undefined)).toEqual({
      body: { Bob: 'x' },
      changed: false,
    });
  });

  it('set_body_field creates intermediate objects; remove_body_field removes', () => {
    const body: Record<string, unknown> = chat();
    applyTransform(
      [
        { type: 'set_body_field', path: 'metadata.owner.team', value: { id: 7 } },
        { type: 'set_body_field', path: 'temperature', value: 0 },
        { type: 'remove_body_field', path: 'model' },
      ],
      body,
      undefined,
    );
    expect(body['metadata']).toEqual({ owner: { team: { id: 7 } } });
    expect(body['temperature']).toBe(0);
    expect('model' in body).toBe(false);
    // A non-object in the way leaves the body as is.
    expect(setPath({ a: 'text' }, 'a.b', 1)).toBe(false);
    expect(removePath({ a: { b: 1 } }, 'a.c')).toBe(false);
    expect(setPath([1], 'a', 1)).toBe(false);
  });

  it('add_to_message_list inserts at first, last or before the last message', () => {
    for (const [position, index] of [
      ['first', 0],
      ['last', 2],
      ['before_last', 1],
    ] as const) {
      const body = chat();
      applyTransform([{ type: 'add_to_message_list', role: 'assistant', content: 'noted', position }], body, undefined);
      expect(body.messages[index]).toEqual({ role: 'assistant', content: 'noted' });
      expect(body.messages).toHaveLength(3);
    }
    const empty = { messages: [] as unknown[] };
    applyTransform([{ type: 'add_to_message_list', role: 'user', content: 'x', position: 'before_last' }], empty, undefined);
    expect(empty.messages).toEqual([{ role: 'user', content: 'x' }]);
  });

  it('body operations do nothing on a body that is not JSON', () => {
    const r = applyTransform(
      [
        { type: 'append_system_prompt', text: 'x' },
        { type: 'set_body_field', path: 'a', value: 1 },
      ],
      undefined,
      undefined,
    );
    expect(r).toEqual({ body: undefined, changed: false });
  });

  it('the value set is a copy (later mutations of the body never reach the policy)', () => {
    const value = { list: [1] };
    const body: Record<string, unknown> = {};
    setPath(body, 'x', value);
    (body['x'] as { list: number[] }).list.push(2);
    expect(value.list).toEqual([1]);
  });
});
