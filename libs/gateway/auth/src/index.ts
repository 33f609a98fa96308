export * from './lib/auth.module';
export * from './lib/admin-key.authenticator';
export * from './lib/management-auth.guard';
