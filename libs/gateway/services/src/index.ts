export { ServicesModule, SERVICES_ENTITIES } from './lib/services.module';
export { ServicesService } from './lib/services.service';
export { ResolveServiceStage } from './lib/resolve-service.stage';
export { ServiceEntity } from './lib/entities/service.entity';
export { SERVICE_NAME } from './lib/services.dto';
