export { QueueModule } from './lib/queue.module';
export type { QueueModuleOptions, QueueModuleAsyncOptions } from './lib/queue.module';
export { QueueFactory } from './lib/queue.factory';
export type { QueueFactoryOptions, QueueMode } from './lib/queue.factory';
export { JobQueue } from './lib/job-queue';
export type { JobAddOptions, JobHandler, JobQueueSettings, QueueJob } from './lib/job-queue';
export { BullMqJobQueue } from './lib/bullmq-job-queue';
export { InProcessJobQueue } from './lib/in-process-job-queue';
