export * from './lib/projects.module';
export * from './lib/projects.service';
export * from './lib/organizations.service';
export * from './lib/entities/organization.entity';
export * from './lib/entities/project.entity';
