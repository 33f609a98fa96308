import { IsInt, IsString, Max, ValidateNested, IsOptional } from 'class-validator';
import { Type } from 'class-transformer';
import { GatewayError } from '../errors/gateway-error';
import { createValidationPipe } from './validation.pipe';

class Inner {
  @IsInt() @Max(5) level!: number;
}
class Body {
  @IsString() name!: string;
  @IsOptional() @IsInt() @Max(10) count?: number;
  @IsOptional() @ValidateNested() @Type(() => Inner) inner?: Inner;
}

const pipe = createValidationPipe();
const run = (value: unknown) => pipe.transform(value, { type: 'body', metatype: Body });

describe('createValidationPipe', () => {
  it('drops unknown top-level fields instead of refusing them', async () => {
    await expect(run({ name: 'a', surprise: true })).resolves.toEqual({ name: 'a' });
  });

  it('answers 400 bad_request with JSON paths for missing fields and wrong types', async () => {
    const error = await run({ count: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('bad_request');
    const paths = ((error as GatewayError).details?.['errors'] as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['$.name', '$.count']));
  });

  it('answers 422 validation_error for well-typed values that break a rule, nested paths included', async () => {
    const error = (await run({ name: 'a', count: 11, inner: { level: 9 } }).catch((e: unknown) => e)) as GatewayError;
    expect(error.code).toBe('validation_error');
    const paths = (error.details?.['errors'] as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual(['$.count', '$.inner.level']);
  });
});
