import { CreateOrganizationsAndProjects1764100000000 } from './1764100000000-CreateOrganizationsAndProjects';
import { CreateApiKeys1764150000000 } from './1764150000000-CreateApiKeys';
import { CreateVaultAndCredentials1764200000000 } from './1764200000000-CreateVaultAndCredentials';
import { CreateTokensAndServices1764300000000 } from './1764300000000-CreateTokensAndServices';
import { CreateAuditLogs1764400000000 } from './1764400000000-CreateAuditLogs';
import { CreatePolicies1764560000000 } from './1764560000000-CreatePolicies';
import { CreateSpendAndPricing1764600000000 } from './1764600000000-CreateSpendAndPricing';
import { CreateSessions1764610000000 } from './1764610000000-CreateSessions';
import { AddAuditShadowIndexes1764700000000 } from './1764700000000-AddAuditShadowIndexes';
import { CreateUsersTeamsAndOidc1764721000000 } from './1764721000000-CreateUsersTeamsAndOidc';
import { CreateAdminAuditLog1764790000000 } from './1764790000000-CreateAdminAuditLog';
import { AddCredentialRotationSchedule1764800000000 } from './1764800000000-AddCredentialRotationSchedule';
import { CreateApprovalRequests1764850000000 } from './1764850000000-CreateApprovalRequests';

/** Every migration, oldest first. Add new ones here (the bundle cannot glob the folder). */
export const ALL_MIGRATIONS = [
  CreateOrganizationsAndProjects1764100000000,
  CreateApiKeys1764150000000,
  CreateVaultAndCredentials1764200000000,
  CreateTokensAndServices1764300000000,
  CreateAuditLogs1764400000000,
  CreatePolicies1764560000000,
  CreateSpendAndPricing1764600000000,
  CreateSessions1764610000000,
  AddAuditShadowIndexes1764700000000,
  CreateUsersTeamsAndOidc1764721000000,
  CreateAdminAuditLog1764790000000,
  AddCredentialRotationSchedule1764800000000,
  CreateApprovalRequests1764850000000,
];
