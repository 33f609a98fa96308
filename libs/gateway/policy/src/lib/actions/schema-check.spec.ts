import { schemaCandidate, schemaViolation } from './schema-check';

const completion = (content: unknown) => ({ choices: [{ index: 0, message: { role: 'assistant', content } }] });

describe('validate_schema (policies.md §6)', () => {
  it('candidate: the content parsed as JSON, else a fenced json block, else the content string, else the whole body', () => {
    expect(schemaCandidate(completion('{"a":1}'))).toEqual({ a: 1 });
    expect(schemaCandidate(completion('Here you go:\n```json\n{"a":2}\n```\nbye'))).toEqual({ a: 2 });
    expect(schemaCandidate(completion('```\n[1,2]\n```'))).toEqual([1, 2]);
    expect(schemaCandidate(completion('plain words'))).toBe('plain words');
    expect(
      schemaCandidate(
        completion([
          { type: 'text', text: '{"b":' },
          { type: 'text', text: '3}' },
        ]),
      ),
    ).toEqual({ b: 3 });
    expect(schemaCandidate({ data: [1] })).toEqual({ data: [1] });
    expect(schemaCandidate(completion(null))).toEqual(completion(null));
    expect(schemaCandidate(undefined, 'raw text')).toBe('raw text');
  });

  const schema = {
    type: 'object',
    required: ['name', 'age'],
    properties: { name: { type: 'string', pattern: '^[A-Z]' }, age: { type: 'integer', minimum: 0 }, email: { format: 'email' } },
  };

  it('a failing candidate gives the first schema error; a passing one nothing', () => {
    const action = { action: 'validate_schema' as const, schema };
    expect(schemaViolation(action, completion('{"name":"Ann","age":3}'))).toBeUndefined();
    expect(schemaViolation(action, completion('{"name":"Ann"}'))).toBe("/ must have required property 'age'");
    expect(schemaViolation(action, completion('{"name":"ann","age":3}'))).toBe('/name must match pattern "^[A-Z]"');
    expect(schemaViolation(action, completion('{"name":"Ann","age":3,"email":"nope"}'))).toBe('/email must match format "email"');
    expect(schemaViolation(action, completion('not json'))).toBe('/ must be object');
  });

  it('not: true inverts: a match fails', () => {
    const action = { action: 'validate_schema' as const, schema: { type: 'object', required: ['ssn'] }, not: true };
    expect(schemaViolation(action, completion('{"ssn":"x"}'))).toBe('response matches a schema it must not match');
    expect(schemaViolation(action, completion('{"name":"x"}'))).toBeUndefined();
  });

  it('boolean schemas', () => {
    expect(schemaViolation({ action: 'validate_schema', schema: true }, completion('x'))).toBeUndefined();
    expect(schemaViolation({ action: 'validate_schema', schema: false }, completion('x'))).toBe('/ boolean schema is false');
  });
});
