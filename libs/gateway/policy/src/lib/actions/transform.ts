import type { TransformOperation } from '@ailink/shared-contracts';
import type { RE2JS } from 're2js';
import { PROTECTED_HEADERS } from '../engine/actions';
import { parsePath } from '../engine/fields';
import { compileRegex } from '../engine/regex';

/** Where header operations go: the upstream request (pre phase) or the client response (post phase). */
export interface HeaderSink {
  set(name: string, value: string): void;
  remove(name: string): void;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PROTECTED: ReadonlySet<string> = new Set(PROTECTED_HEADERS);

/** A dot path of keys (validated at write time). */
function keysOf(path: string): string[] {
  return (parsePath(path) ?? []).flatMap((s) => (s.kind === 'key' ? [s.key] : []));
}

/** `set_body_field`: intermediate objects are created; a non-object in the way leaves the body as is. */
export function setPath(body: unknown, path: string, value: unknown): boolean {
  const keys = keysOf(path);
  if (!isObject(body) || keys.length === 0) return false;
  let node: JsonObject = body;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (!isObject(next)) return false;
    node = node[key] as JsonObject;
  }
  node[keys[keys.length - 1]] = structuredClone(value);
  return true;
}

/** `remove_body_field`. */
export function removePath(body: unknown, path: string): boolean {
  const keys = keysOf(path);
  let node: unknown = body;
  for (const key of keys.slice(0, -1)) {
    if (!isObject(node)) return false;
    node = node[key];
  }
  const last = keys[keys.length - 1];
  if (!isObject(node) || last === undefined || !Object.prototype.hasOwnProperty.call(node, last)) return false;
  delete node[last];
  return true;
}

const regexes = new WeakMap<object, RE2JS>();

/** Replaces in every string value (not keys) of a JSON value, in place; returns the new value and whether anything changed. */
function replaceStrings(value: unknown, re: RE2JS, replacement: string, global: boolean): { value: unknown; changed: boolean } {
  if (typeof value === 'string') {
    if (!re.test(value)) return { value, changed: false };
    const matcher = re.matcher(value);
    const out = global ? matcher.replaceAll(replacement) : matcher.replaceFirst(replacement);
    return { value: out, changed: out !== value };
  }
  let changed = false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const r = replaceStrings(value[i], re, replacement, global);
      if (r.changed) {
        value[i] = r.value;
        changed = true;
      }
    }
  } else if (isObject(value)) {
    for (const key of Object.keys(value)) {
      const r = replaceStrings(value[key], re, replacement, global);
      if (r.changed) {
        value[key] = r.value;
        changed = true;
      }
    }
  }
  return { value, changed };
}

function messagesOf(body: unknown): unknown[] | undefined {
  return isObject(body) && Array.isArray(body['messages']) ? body['messages'] : undefined;
}

function prependSystem(body: unknown, text: string): boolean {
  const messages = messagesOf(body);
  if (!messages) return false;
  const system = messages.find((m): m is JsonObject => isObject(m) && m['role'] === 'system');
  if (!system) {
    messages.unshift({ role: 'system', content: text });
    return true;
  }
  const content = system['content'];
  if (typeof content === 'string' || content === undefined || content === null) {
    system['content'] = `${text}\n${content ?? ''}`;
  } else if (Array.isArray(content)) {
    const first = content.find((p): p is JsonObject => isObject(p) && p['type'] === 'text' && typeof p['text'] === 'string');
    if (first) first['text'] = `${text}\n${first['text'] as string}`;
    else content.unshift({ type: 'text', text });
  } else {
    return false;
  }
  return true;
}

function addMessage(body: unknown, role: string, content: string, position: 'first' | 'last' | 'before_last'): boolean {
  const messages = messagesOf(body);
  if (!messages) return false;
  const message = { role, content };
  if (position === 'first') messages.unshift(message);
  else if (position === 'last' || messages.length === 0) messages.push(message);
  else messages.splice(messages.length - 1, 0, message);
  return true;
}

/**
 * Applies `transform` operations in order (policies.md §7) to a parsed JSON body (mutated in place)
 * and, for header operations, to `headers`. Header operations never touch the protected headers.
 * Returns the body (the same object unless it was not JSON) and whether it changed.
 */
export function applyTransform(
  operations: readonly TransformOperation[],
  body: unknown,
  headers: HeaderSink | undefined,
): { body: unknown; changed: boolean } {
  let changed = false;
  for (const op of operations) {
    switch (op.type) {
      case 'set_header':
        if (!PROTECTED.has(op.name.toLowerCase())) headers?.set(op.name.toLowerCase(), op.value);
        break;
      case 'remove_header':
        if (!PROTECTED.has(op.name.toLowerCase())) headers?.remove(op.name.toLowerCase());
        break;
      case 'append_system_prompt': {
        const messages = messagesOf(body);
        if (messages) {
          messages.push({ role: 'system', content: op.text });
          changed = true;
        }
        break;
      }
      case 'prepend_system_prompt':
        changed = prependSystem(body, op.text) || changed;
        break;
      case 'regex_replace': {
        let re = regexes.get(op);
        if (!re) {
          re = compileRegex(op.pattern);
          regexes.set(op, re);
        }
        const r = replaceStrings(body, re, op.replacement, op.global !== false);
        body = r.value;
        changed = r.changed || changed;
        break;
      }
      case 'set_body_field':
        changed = setPath(body, op.path, op.value) || changed;
        break;
      case 'remove_body_field':
        changed = removePath(body, op.path) || changed;
        break;
      case 'add_to_message_list':
        changed = addMessage(body, op.role, op.content, op.position ?? 'before_last') || changed;
        break;
    }
  }
  return { body, changed };
}
