import type { PolicyAction } from '@ailink/shared-contracts';
import { compileJsonSchema, firstSchemaError, type SchemaValidator } from '../engine/json-schema';

type ValidateSchemaAction = Extract<PolicyAction, { action: 'validate_schema' }>;

const validators = new WeakMap<ValidateSchemaAction, SchemaValidator>();

function validatorOf(action: ValidateSchemaAction): SchemaValidator {
  let validate = validators.get(action);
  if (!validate) {
    validate = compileJsonSchema(action.schema);
    validators.set(action, validate);
  }
  return validate;
}

const FENCE = /```(?:json|JSON)?[ \t]*\r?\n([\s\S]*?)\r?\n?```/;

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** `choices[0].message.content` as text (string content, or its text parts joined), if any. */
function firstContent(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const choices = (body as { choices?: unknown }).choices;
  if (!Array.isArray(choices) || choices.length === 0) return undefined;
  const message = (choices[0] as { message?: { content?: unknown } } | null)?.message;
  const content = message?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const texts = content.flatMap((p) =>
      typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string' ? [(p as { text: string }).text] : [],
    );
    return texts.length > 0 ? texts.join('') : undefined;
  }
  return undefined;
}

/**
 * What `validate_schema` validates (policies.md §6): `choices[0].message.content` parsed as JSON;
 * failing that, the JSON inside a fenced json code block in that content; failing that, the content
 * string itself; with no such content, the whole response body (`rawBody` when it is not JSON).
 */
export function schemaCandidate(body: unknown, rawBody?: string): unknown {
  const content = firstContent(body);
  if (content === undefined) return body !== undefined ? body : rawBody;
  const direct = tryJson(content);
  if (direct.ok) return direct.value;
  const fence = FENCE.exec(content);
  if (fence) {
    const fenced = tryJson(fence[1]);
    if (fenced.ok) return fenced.value;
  }
  return content;
}

/**
 * Runs the action on a response: undefined when it passes, else the reason it fails (the first
 * schema error; with `not: true`, a matching candidate fails).
 */
export function schemaViolation(action: ValidateSchemaAction, body: unknown, rawBody?: string): string | undefined {
  const validate = validatorOf(action);
  const valid = validate(schemaCandidate(body, rawBody)) === true;
  if (action.not === true) return valid ? 'response matches a schema it must not match' : undefined;
  return valid ? undefined : firstSchemaError(validate.errors);
}
