import { CreateOrganizationsAndProjects1764100000000 } from './1764100000000-CreateOrganizationsAndProjects';

/** Every migration, oldest first. Add new ones here (the bundle cannot glob the folder). */
export const ALL_MIGRATIONS = [CreateOrganizationsAndProjects1764100000000];
