/** The header that carries the admin key on Management API calls (spec README, "Naming"). */
export const ADMIN_KEY_HEADER = 'X-Admin-Key';
