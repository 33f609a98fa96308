export { CredentialsModule, CREDENTIALS_ENTITIES } from './lib/credentials.module';
export { CredentialsService } from './lib/credentials.service';
export { CredentialStore, CREDENTIAL_CACHE_KIND } from './lib/credential.store';
export type { ResolvedCredential } from './lib/credential.store';
export { InjectCredentialStage } from './lib/inject-credential.stage';
export { defaultInjection } from './lib/credential-injection';
export { CredentialEntity } from './lib/entities/credential.entity';
export { RotationLogEntity } from './lib/entities/rotation-log.entity';
export type { RotationTrigger } from './lib/entities/rotation-log.entity';
