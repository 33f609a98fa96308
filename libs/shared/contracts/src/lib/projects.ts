/** The default organisation and default project share this id (spec README, "Identifiers"). */
export const DEFAULT_ORG_ID = '00000000-0000-0000-0000-000000000001';
export const DEFAULT_PROJECT_ID = '00000000-0000-0000-0000-000000000001';

/** `GET /api/v1/projects` item. */
export interface ProjectSummary {
  id: string;
  name: string;
  org_id: string;
  created_at: string;
}

/** `POST /projects` and `PUT /projects/{id}` body. */
export interface ProjectNameRequest {
  name: string;
}

/** `POST /projects` → 201 and `PUT /projects/{id}` → 200. */
export interface ProjectRef {
  id: string;
  name: string;
}

/** `POST /projects/{id}/purge` (identity.md §8). */
export interface PurgeProjectResponse {
  status: 'purged';
  project_id: string;
  rows_deleted: number;
}
