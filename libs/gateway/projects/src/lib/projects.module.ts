import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrganizationEntity } from './entities/organization.entity';
import { ProjectEntity } from './entities/project.entity';
import { OrganizationsController } from './organizations.controller';
import { OrganizationsService } from './organizations.service';
import { ProjectsController } from './projects.controller';
import { ProjectsRepository } from './projects.repository';
import { ProjectsService } from './projects.service';
import { ProjectAuditSnapshot } from './project.audit-snapshot';

@Module({
  imports: [TypeOrmModule.forFeature([OrganizationEntity, ProjectEntity])],
  controllers: [ProjectsController, OrganizationsController],
  providers: [ProjectsRepository, ProjectsService, OrganizationsService, ProjectAuditSnapshot],
  exports: [ProjectsService, OrganizationsService],
})
export class ProjectsModule {}

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const PROJECTS_ENTITIES = [OrganizationEntity, ProjectEntity];
