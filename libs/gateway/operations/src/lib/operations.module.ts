import { Module } from '@nestjs/common';
import { MetricsService } from './metrics.service';
import { OperationsController } from './operations.controller';
import { ReadinessService } from './readiness.service';

@Module({
  controllers: [OperationsController],
  providers: [MetricsService, ReadinessService],
  exports: [MetricsService, ReadinessService],
})
export class OperationsModule {}
