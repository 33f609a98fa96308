import { PROJECTS_ENTITIES } from '@ailink/gateway-projects';

/** Every TypeORM entity of the gateway, in one visible place (also used by the entity/migration check). */
export const ALL_ENTITIES = [...PROJECTS_ENTITIES];
