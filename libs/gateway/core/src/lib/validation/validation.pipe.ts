import { ValidationPipe, type ValidationError } from '@nestjs/common';
import type { ValidationProblem } from '@ailink/shared-contracts';
import { ErrorCode } from '../errors/error-codes';
import { GatewayError } from '../errors/gateway-error';

/** Constraints whose failure means "missing field or wrong type": 400 `bad_request` per the spec. */
const SHAPE_CONSTRAINTS = new Set([
  'isDefined',
  'isString',
  'isNumber',
  'isInt',
  'isBoolean',
  'isArray',
  'isObject',
  'nestedValidation',
  'isNotEmptyObject',
]);

/** Flattens class-validator errors into `{path, message}` with JSON paths (`$.a.b[0]`). */
export function toProblems(
  errors: ValidationError[],
  parent = '$',
): { problems: ValidationProblem[]; shapeOnly: boolean; anyShape: boolean } {
  const problems: ValidationProblem[] = [];
  let anyShape = false;
  let allShape = true;
  for (const error of errors) {
    const path = /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      const shape = SHAPE_CONSTRAINTS.has(constraint);
      anyShape ||= shape;
      allShape &&= shape;
      problems.push({ path, message });
    }
    if (error.children?.length) {
      const nested = toProblems(error.children, path);
      problems.push(...nested.problems);
      anyShape ||= nested.anyShape;
      allShape &&= nested.shapeOnly;
    }
  }
  return { problems, shapeOnly: allShape, anyShape };
}

/**
 * The global validation pipe: whitelist + transform, unknown top-level fields dropped (not refused,
 * per the spec's compatibility rules). Missing fields and wrong types → 400 `bad_request`; values of
 * the right type that break a rule → 422 `validation_error`. Both list every problem with its path.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: false,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const { problems, anyShape } = toProblems(errors);
      if (anyShape) {
        return new GatewayError(ErrorCode.BadRequest, problems.map((p) => `${p.path}: ${p.message}`).join('; '), {
          details: { errors: problems },
        });
      }
      return GatewayError.validation(problems);
    },
  });
}
