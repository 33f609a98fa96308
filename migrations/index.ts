import { CreateOrganizationsAndProjects1764100000000 } from './1764100000000-CreateOrganizationsAndProjects';
import { CreateVaultAndCredentials1764200000000 } from './1764200000000-CreateVaultAndCredentials';
import { CreateTokensAndServices1764300000000 } from './1764300000000-CreateTokensAndServices';
import { CreateAuditLogs1764400000000 } from './1764400000000-CreateAuditLogs';

/** Every migration, oldest first. Add new ones here (the bundle cannot glob the folder). */
export const ALL_MIGRATIONS = [
  CreateOrganizationsAndProjects1764100000000,
  CreateVaultAndCredentials1764200000000,
  CreateTokensAndServices1764300000000,
  CreateAuditLogs1764400000000,
];
