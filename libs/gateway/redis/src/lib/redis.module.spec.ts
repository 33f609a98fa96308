import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { KeyValueStore } from './key-value-store';
import { MemoryKeyValueStore } from './memory-key-value-store';
import { RedisModule } from './redis.module';
import { TieredCacheFactory } from './tiered-cache.factory';

@Injectable()
class WidgetService {
  readonly cache;
  constructor(factory: TieredCacheFactory) {
    this.cache = factory.create<{ id: string }>({
      kind: 'widget',
      loader: async (id) => ({ id }),
      l1MaxEntries: 10,
      l1TtlMs: 1000,
      l2TtlSecs: 60,
    });
  }
}

describe('RedisModule (embedded mode)', () => {
  it('provides the in-process store when no URL is given, and closes it', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RedisModule.forRoot({})],
      providers: [WidgetService],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();

    const store = app.get(KeyValueStore);
    expect(store).toBeInstanceOf(MemoryKeyValueStore);
    expect(store.mode).toBe('memory');
    expect(await store.ping(1000)).toBe(true);

    const { cache } = app.get(WidgetService);
    expect(await cache.get('w1')).toEqual({ id: 'w1' });
    await cache.invalidate('w1');
    expect(await store.getVersion('ailink:resver:widget:w1')).toBe('1');

    await app.close();
    expect(await store.ping(1000)).toBe(false);
  });

  it('takes its options from a factory with forRootAsync', async () => {
    const CONFIG = 'CONFIG';
    const moduleRef = await Test.createTestingModule({
      imports: [
        RedisModule.forRootAsync({
          imports: [
            {
              module: class ConfigModule {},
              providers: [{ provide: CONFIG, useValue: { redisUrl: '' } }],
              exports: [CONFIG],
            },
          ],
          inject: [CONFIG],
          useFactory: (config: { redisUrl: string }) => ({
            url: config.redisUrl,
          }),
        }),
      ],
    }).compile();
    await moduleRef.init();
    expect(moduleRef.get(KeyValueStore).mode).toBe('memory');
    await moduleRef.close();
  });
});
