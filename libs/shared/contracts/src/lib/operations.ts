export type DeploymentMode = 'embedded' | 'external';

/** `GET /readyz` when both PostgreSQL and Redis answer. */
export interface ReadyResponse {
  status: 'ok';
  version: string;
  mode: DeploymentMode;
}

/** `GET /readyz` (503) when a dependency does not answer within 1 s. */
export interface NotReadyResponse {
  status: 'unavailable';
  postgres: boolean;
  redis: boolean;
  version: string;
  mode: DeploymentMode;
}

export type ReadinessResponse = ReadyResponse | NotReadyResponse;
