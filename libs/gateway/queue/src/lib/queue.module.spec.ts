import { Test } from '@nestjs/testing';
import { InProcessJobQueue } from './in-process-job-queue';
import { QueueFactory } from './queue.factory';
import { QueueModule } from './queue.module';
import { waitFor } from './testing/queue-test-support';

describe('QueueModule (embedded mode)', () => {
  it('provides in-process queues without a Redis URL and closes them on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [QueueModule.forRoot({ defaults: { backoffMs: 10 } })],
    }).compile();
    await moduleRef.init();

    const factory = moduleRef.get(QueueFactory);
    expect(factory.mode).toBe('in-process');
    const queue = factory.create<{ ok: boolean }>('emails');
    expect(queue).toBeInstanceOf(InProcessJobQueue);

    let finished = false;
    let started = false;
    queue.process(async () => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 100));
      finished = true;
    });
    await queue.add('send', { ok: true });
    await waitFor(() => started, 1000, 'the job');
    await moduleRef.close();
    expect(finished).toBe(true);
    expect(() => factory.create('late')).toThrow(/closed/);
  });

  it('takes its options from a factory with forRootAsync', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        QueueModule.forRootAsync({
          imports: [
            {
              module: class ConfigModule {},
              providers: [{ provide: 'CONFIG', useValue: { redisUrl: undefined } }],
              exports: ['CONFIG'],
            },
          ],
          inject: ['CONFIG'],
          useFactory: (config: { redisUrl?: string }) => ({
            redisUrl: config.redisUrl,
          }),
        }),
      ],
    }).compile();
    await moduleRef.init();
    expect(moduleRef.get(QueueFactory).mode).toBe('in-process');
    await moduleRef.close();
  });
});
