import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AdminKeyAuthenticator } from './admin-key.authenticator';
import { AuthController } from './auth.controller';
import { ManagementAuthGuard } from './management-auth.guard';

/** Management API authentication: the global fail-closed guard and `GET /auth/whoami`. */
@Module({
  controllers: [AuthController],
  providers: [AdminKeyAuthenticator, { provide: APP_GUARD, useClass: ManagementAuthGuard }],
})
export class AuthModule {}
