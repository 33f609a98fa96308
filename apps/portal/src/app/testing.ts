import type { WhoAmIResponse } from '@ailink/shared-contracts';

/** Shared fixtures for the portal's unit tests (not part of the app bundle: only specs import it). */
export const SUPERADMIN: WhoAmIResponse = {
  org_id: '00000000-0000-0000-0000-000000000001',
  user_id: null,
  role: 'SuperAdmin',
  scopes: ['*'],
  auth_method: 'admin_key',
};

export function unauthorized(message = 'Invalid admin key') {
  return {
    body: { error: { code: 'unauthorized', message, type: 'authentication_error', request_id: 'req_00000000000000000000000000000001' } },
    init: { status: 401, statusText: 'Unauthorized' },
  } as const;
}
