/** The service registry (management-api.md "Services"; proxy.md §1, `/v1/proxy/services/{name}/{rest}`). */

export interface Service {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  base_url: string;
  service_type: string;
  credential_id: string | null;
  is_active: boolean;
  created_at: string;
  updated_at: string;
}

/** `POST /services`: 400 unparseable/non-http URL, 409 name clash, 422 SSRF. */
export interface CreateServiceRequest {
  name: string;
  base_url: string;
  description?: string;
  service_type?: string;
  credential_id?: string | null;
  project_id?: string;
}

/** `PATCH /services/{id}` (partial; an explicit null clears a nullable field). */
export interface UpdateServiceRequest {
  name?: string;
  base_url?: string;
  description?: string | null;
  service_type?: string;
  credential_id?: string | null;
  is_active?: boolean;
}

/** `DELETE /services/{id}`. */
export interface DeleteServiceResponse {
  deleted: boolean;
}
