import type { PolicyAction } from '@ailink/shared-contracts';
import { globMatcher, type TextMatcher } from '../engine/regex';

type ToolScopeAction = Extract<PolicyAction, { action: 'tool_scope' }>;

interface CompiledToolScope {
  allowed: TextMatcher[];
  blocked: TextMatcher[];
}

const compiled = new WeakMap<ToolScopeAction, CompiledToolScope>();

function compile(action: ToolScopeAction): CompiledToolScope {
  let result = compiled.get(action);
  if (!result) {
    result = { allowed: (action.allowed_tools ?? []).map(globMatcher), blocked: (action.blocked_tools ?? []).map(globMatcher) };
    compiled.set(action, result);
  }
  return result;
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function nameOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Tool names a request names (policies.md §6, tool_scope): `tools[].function.name`, `tools[].name`,
 * `tools[].function_declarations[].name` (and Gemini's camel-case `functionDeclarations`),
 * `tool_choice.function.name`, `messages[].tool_calls[].function.name`. Unique, in order of appearance.
 */
export function toolNamesOf(body: unknown): string[] {
  const root = obj(body);
  if (!root) return [];
  const names: string[] = [];
  const add = (name: string | undefined): void => {
    if (name !== undefined && !names.includes(name)) names.push(name);
  };
  for (const tool of list(root['tools'])) {
    const t = obj(tool);
    if (!t) continue;
    add(nameOf(obj(t['function'])?.['name']));
    add(nameOf(t['name']));
    for (const decl of [...list(t['function_declarations']), ...list(t['functionDeclarations'])]) add(nameOf(obj(decl)?.['name']));
  }
  add(nameOf(obj(obj(root['tool_choice'])?.['function'])?.['name']));
  for (const message of list(root['messages'])) {
    for (const call of list(obj(message)?.['tool_calls'])) add(nameOf(obj(obj(call)?.['function'])?.['name']));
  }
  return names;
}

/**
 * The first tool name the action refuses, or undefined: a name matching a `blocked_tools` pattern;
 * otherwise, when `allowed_tools` is non-empty, a name matching none of its patterns. A request
 * without tools passes.
 */
export function refusedTool(action: ToolScopeAction, body: unknown): string | undefined {
  const names = toolNamesOf(body);
  if (names.length === 0) return undefined;
  const { allowed, blocked } = compile(action);
  const isBlocked = names.find((name) => blocked.some((m) => m.test(name)));
  if (isBlocked !== undefined) return isBlocked;
  if (allowed.length === 0) return undefined;
  return names.find((name) => !allowed.some((m) => m.test(name)));
}
