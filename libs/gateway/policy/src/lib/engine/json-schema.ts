import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { compileRegex } from './regex';

/**
 * JSON Schema 2020-12 (`validate_schema`, policies.md §6) on Ajv. Every `pattern` /
 * `patternProperties` regex of a schema runs on the linear-time RE2 engine like every other regex
 * of a policy (policies.md §2, "Regex dialect"), so no schema can backtrack catastrophically; a
 * pattern RE2 cannot compile makes the schema invalid. Formats come from ajv-formats. Unknown
 * keywords are ignored (annotations), structural errors make the schema invalid.
 */
const ajv = new Ajv2020({
  strict: false,
  logger: false,
  allErrors: false,
  validateFormats: true,
  code: {
    regExp: Object.assign(
      (pattern: string) => {
        const re = compileRegex(pattern);
        // Ajv shares compiled patterns by `toString()`: it must name the pattern.
        return { test: (input: string) => re.test(input), toString: () => `re2:${pattern}` };
      },
      { code: 're2js' },
    ),
  },
});
addFormats(ajv);

export type SchemaValidator = ValidateFunction;

/** A schema that does not compile, with Ajv's (or RE2's) reason. */
export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

/**
 * Compiles a JSON Schema (object or boolean) to a validator. The schema is not kept registered in
 * the shared Ajv instance (policies come and go, and two may use the same `$id`). Throws
 * {@link SchemaError}.
 */
export function compileJsonSchema(schema: Record<string, unknown> | boolean): SchemaValidator {
  try {
    const validate = ajv.compile(schema);
    return validate;
  } catch (error) {
    throw new SchemaError(`invalid JSON Schema: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (typeof schema === 'object') ajv.removeSchema(schema);
  }
}

/** The first error of a failed validation as one line: `/path must be string` (`/` for the root). */
export function firstSchemaError(errors: readonly ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (!first) return 'does not match the schema';
  const where = first.instancePath === '' ? '/' : first.instancePath;
  return `${where} ${first.message ?? 'is invalid'}`;
}
