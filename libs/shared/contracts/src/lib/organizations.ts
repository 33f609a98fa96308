/** Organisations (management-api.md "Identity": `GET`/`POST /organizations`, superadmin only). */

/** `GET /organizations` item. */
export interface Organization {
  id: string;
  name: string;
  created_at: string;
}

/** `POST /organizations`. */
export interface CreateOrganizationRequest {
  name: string;
}

/** `POST /organizations` → 201. `default_project_id` (an addition) is the project created with it. */
export interface CreateOrganizationResponse {
  id: string;
  name: string;
  default_project_id: string;
}
