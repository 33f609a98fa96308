import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { User } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { CreateUserDto, ListUsersQueryDto } from './users.dto';
import { UsersService } from './users.service';

/** `/api/v1/users` (management-api.md "Identity"; identity.md §5). There is no password login. */
@ApiTags('users')
@ApiSecurity('admin-key')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequireScope('keys:manage')
  @ApiOperation({ summary: 'List the organisation’s users' })
  @ApiOkResponse({ description: '[User]' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListUsersQueryDto): Promise<User[]> {
    return this.users.list(principal, query);
  }

  @Post()
  @HttpCode(201)
  @RequireScope('keys:manage')
  @ApiOperation({ summary: 'Create a user ahead of its first SSO sign-in' })
  @ApiCreatedResponse({ description: 'User; 409 email taken; 403 role_escalation' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateUserDto): Promise<User> {
    return this.users.create(principal, body);
  }
}
