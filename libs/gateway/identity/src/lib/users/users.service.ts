import { Injectable } from '@nestjs/common';
import type { User, UserRole } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type Principal, type Role } from '@ailink/gateway-core';
import type { UserEntity } from '../entities/user.entity';
import { UUID, iso, isUniqueViolation } from '../identity-util';
import type { CreateUserDto, ListUsersQueryDto } from './users.dto';
import { USER_EMAIL_INDEX, UsersRepository } from './users.repository';

const RANK: Record<Role, number> = { readonly: 0, member: 1, admin: 2, superadmin: 3 };

/** `viewer` is accepted as a synonym of `readonly`; `superadmin` is treated as `admin` (identity.md §4). */
export function normaliseRole(value: string | null | undefined): UserRole | null {
  switch ((value ?? '').trim().toLowerCase()) {
    case 'admin':
    case 'superadmin':
      return 'admin';
    case 'member':
      return 'member';
    case 'readonly':
    case 'viewer':
      return 'readonly';
    default:
      return null;
  }
}

/** Whether a principal may hand out `role` (no role above its own: 403 `role_escalation`). */
export function mayAssign(principal: Principal, role: UserRole): boolean {
  return RANK[principal.role] >= RANK[role];
}

/** The User object (identity.md §5). */
export function toUserResponse(row: UserEntity): User {
  return {
    id: row.id,
    org_id: row.orgId,
    email: row.email,
    name: row.name,
    oidc_provider_id: row.oidcProviderId,
    oidc_subject: row.oidcSubject,
    role: row.role,
    created_at: row.createdAt.toISOString(),
    last_login_at: iso(row.lastLoginAt),
  };
}

/** Users of an organisation (identity.md §5): listed, or created by an admin ahead of their first SSO sign-in. */
@Injectable()
export class UsersService {
  constructor(private readonly repository: UsersRepository) {}

  async list(principal: Principal, query: ListUsersQueryDto): Promise<User[]> {
    return (await this.repository.list(principal.orgId, query.limit ?? 1000, query.offset ?? 0)).map(toUserResponse);
  }

  /** One user of the caller's organisation (any organisation for the super-admin), or null. */
  async find(principal: Principal, id: string): Promise<User | null> {
    if (!UUID.test(id)) return null;
    const row = await this.repository.findById(id.toLowerCase());
    return row && (principal.role === 'superadmin' || row.orgId === principal.orgId) ? toUserResponse(row) : null;
  }

  async create(principal: Principal, dto: CreateUserDto): Promise<User> {
    const role = normaliseRole(dto.role) as UserRole;
    if (!mayAssign(principal, role)) {
      throw new GatewayError(ErrorCode.RoleEscalation, `A ${principal.role} cannot create a user with the role ${role}`);
    }
    const email = dto.email.trim();
    if (await this.repository.emailTaken(principal.orgId, email)) throw this.conflict(email);
    try {
      const row = await this.repository.insert({
        orgId: principal.orgId,
        email,
        name: dto.name?.trim() || null,
        role,
        roleSource: 'admin',
      });
      return toUserResponse(row);
    } catch (error) {
      throw isUniqueViolation(error, USER_EMAIL_INDEX) ? this.conflict(email) : error;
    }
  }

  private conflict(email: string): GatewayError {
    return new GatewayError(ErrorCode.Conflict, `A user with the email ${email} already exists in this organisation`);
  }
}
