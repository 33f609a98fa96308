import { refusedTool, toolNamesOf } from './tool-scope';

describe('tool_scope (policies.md §6)', () => {
  it('collects names from every place a request names tools', () => {
    expect(
      toolNamesOf({
        tools: [
          { type: 'function', function: { name: 'web_search' } },
          { name: 'anthropic_tool' },
          { function_declarations: [{ name: 'gemini_a' }], functionDeclarations: [{ name: 'gemini_b' }] },
        ],
        tool_choice: { type: 'function', function: { name: 'forced' } },
        messages: [{ role: 'assistant', tool_calls: [{ function: { name: 'earlier_call' } }, { function: { name: 'web_search' } }] }],
      }),
    ).toEqual(['web_search', 'anthropic_tool', 'gemini_a', 'gemini_b', 'forced', 'earlier_call']);
    expect(toolNamesOf('not an object')).toEqual([]);
    expect(toolNamesOf({ tools: 'nope', messages: [null] })).toEqual([]);
  });

  const tools = (...names: string[]) => ({ tools: names.map((name) => ({ type: 'function', function: { name } })) });

  it('a blocked pattern (exact or glob) refuses', () => {
    const action = { action: 'tool_scope' as const, blocked_tools: ['shell_*', 'rm'] };
    expect(refusedTool(action, tools('web_search', 'shell_exec'))).toBe('shell_exec');
    expect(refusedTool(action, tools('rm'))).toBe('rm');
    expect(refusedTool(action, tools('rmdir', 'web'))).toBeUndefined();
  });

  it('a non-empty allow list refuses any name matching none of its patterns', () => {
    const action = { action: 'tool_scope' as const, allowed_tools: ['web_*', 'calc?'] };
    expect(refusedTool(action, tools('web_search', 'calc1'))).toBeUndefined();
    expect(refusedTool(action, tools('web_search', 'calc12'))).toBe('calc12');
    // Blocked wins over allowed.
    expect(refusedTool({ ...action, blocked_tools: ['web_admin'] }, tools('web_admin'))).toBe('web_admin');
  });

  it('a request without tools passes', () => {
    expect(
      refusedTool({ action: 'tool_scope', allowed_tools: ['web_*'] }, { messages: [{ role: 'user', content: 'hi' }] }),
    ).toBeUndefined();
    expect(refusedTool({ action: 'tool_scope', allowed_tools: ['web_*'] }, undefined)).toBeUndefined();
  });
});
