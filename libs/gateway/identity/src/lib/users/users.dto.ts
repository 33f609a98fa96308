import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { USER_ROLES, type UserRole } from '@ailink/shared-contracts';
import { queryInteger } from '../identity-util';

/** `POST /users`: a user created ahead of its first SSO sign-in (linked then by verified email). */
export class CreateUserDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 320 })
  @IsString()
  @MaxLength(320)
  @IsEmail({}, { message: 'email must be an email address' })
  email!: string;

  @ApiPropertyOptional({ nullable: true, maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string | null;

  @ApiProperty({ enum: [...USER_ROLES, 'viewer'], description: '`viewer` is a synonym of `readonly`' })
  @IsString()
  @IsIn([...USER_ROLES, 'viewer'])
  role!: UserRole | 'viewer';
}

/** `GET /users` query. */
export class ListUsersQueryDto {
  @ApiPropertyOptional({ default: 1000, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Transform(queryInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @Transform(queryInteger)
  @IsInt()
  @Min(0)
  offset?: number;
}
