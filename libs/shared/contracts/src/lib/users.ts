/** Users (identity.md §5; data-model.md `users`). There is no password login. */

/** Roles a user can hold (`superadmin` belongs to the admin key only). */
export const USER_ROLES = ['admin', 'member', 'readonly'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface User {
  id: string;
  org_id: string;
  email: string | null;
  name: string | null;
  oidc_provider_id: string | null;
  oidc_subject: string | null;
  role: UserRole;
  created_at: string;
  last_login_at: string | null;
}

/** `POST /users` (`viewer` is accepted as a synonym of `readonly`). */
export interface CreateUserRequest {
  email: string;
  name?: string | null;
  role: UserRole | 'viewer';
}
