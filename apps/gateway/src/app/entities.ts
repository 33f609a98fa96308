import { PROJECTS_ENTITIES } from '@ailink/gateway-projects';
import { VAULT_ENTITIES } from '@ailink/gateway-vault';
import { CREDENTIALS_ENTITIES } from '@ailink/gateway-credentials';
import { TOKENS_ENTITIES } from '@ailink/gateway-tokens';
import { SERVICES_ENTITIES } from '@ailink/gateway-services';
import { AUTH_ENTITIES } from '@ailink/gateway-auth';
import { POLICIES_ENTITIES } from '@ailink/gateway-policy';
import { SPEND_ENTITIES } from '@ailink/gateway-spend';
import { ADMIN_AUDIT_ENTITIES } from '@ailink/gateway-admin-audit';
import { IDENTITY_ENTITIES } from '@ailink/gateway-identity';
import { APPROVALS_ENTITIES } from '@ailink/gateway-approvals';

/** Every TypeORM entity of the gateway, in one visible place (also used by the entity/migration check). */
export const ALL_ENTITIES = [
  ...PROJECTS_ENTITIES,
  ...VAULT_ENTITIES,
  ...CREDENTIALS_ENTITIES,
  ...TOKENS_ENTITIES,
  ...SERVICES_ENTITIES,
  ...AUTH_ENTITIES,
  ...POLICIES_ENTITIES,
  ...SPEND_ENTITIES,
  ...ADMIN_AUDIT_ENTITIES,
  ...IDENTITY_ENTITIES,
  ...APPROVALS_ENTITIES,
];
