import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ProjectEntity } from './entities/project.entity';

/** Owns the queries on `projects`. */
@Injectable()
export class ProjectsRepository {
  constructor(@InjectRepository(ProjectEntity) private readonly projects: Repository<ProjectEntity>) {}

  listForOrg(orgId: string): Promise<ProjectEntity[]> {
    return this.projects.find({ where: { orgId }, order: { createdAt: 'ASC', name: 'ASC' } });
  }
}
