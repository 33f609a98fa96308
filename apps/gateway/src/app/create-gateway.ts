import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { LogController } from 'fastify';
import secureJsonParse from 'secure-json-parse';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Logger } from 'pino';
import {
  AppConfig,
  CORS_ALLOWED_HEADERS,
  CORS_EXPOSED_HEADERS,
  PinoNestLogger,
  corsOriginChecker,
  createValidationPipe,
  redactUrl,
  registerHttpHooks,
  requestIdFrom,
} from '@ailink/gateway-core';
import { KeyValueStore } from '@ailink/gateway-redis';
import { ProxyHandler } from '@ailink/gateway-proxy';
import { AppModule } from './app.module';
import { ManagementRouteIndex } from './management-route-index';
import { FrontDoorDispatcher, registerFrontDoor } from './front-door';

export const API_PREFIX = 'api/v1';

/** Boot failures that deserve one clear line rather than a stack trace. */
export class StartupError extends Error {}

/**
 * Builds the whole gateway (used by `main.ts` and by the tests): Fastify with our request ids and
 * limits, the Nest application, route families in the spec's order, OpenAPI, CORS and the portal.
 */
export async function createGateway(config: AppConfig, logger: Logger): Promise<NestFastifyApplication> {
  // Proxy traffic is dispatched before Fastify (front-door.ts): the hot path pays no framework cost.
  const dispatcher = new FrontDoorDispatcher();
  const adapter = new FastifyAdapter({
    serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => createServer(dispatcher.listener(handler)),
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    bodyLimit: config.maxBodyBytes,
    genReqId: (req: IncomingMessage) => requestIdFrom(req.headers['x-request-id']),
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  });
  const fastify = adapter.getInstance();
  registerHttpHooks(fastify, config);
  // Management clients often send `Content-Type: application/json` on bodiless DELETEs: an empty
  // body is no body, not a 400. Otherwise JSON is parsed with prototype-poisoning protection.
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: config.maxBodyBytes }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, secureJsonParse.parse(text, { protoAction: 'error', constructorAction: 'error' }));
    } catch {
      done(
        Object.assign(new Error('Request body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }),
        undefined,
      );
    }
  });
  const routeIndex = new ManagementRouteIndex();
  routeIndex.attach(fastify);

  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
      logger: new PinoNestLogger(logger),
      abortOnError: false,
      bodyParser: false, // registered below: JSON, with an empty body accepted as no body
      bufferLogs: false,
    });
  } catch (error) {
    throw explainStartupFailure(error, config);
  }
  app.setGlobalPrefix(API_PREFIX, { exclude: ['healthz', 'readyz', 'metrics'] });
  app.useGlobalPipes(createValidationPipe());
  app.enableCors({
    origin: corsOriginChecker(config),
    credentials: true,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    maxAge: 600,
  });
  // No enableShutdownHooks(): main.ts owns SIGTERM/SIGINT, drains requests, then calls app.close().

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('AIlink Management API')
      .setDescription(
        'Management API of the AIlink gateway. Errors use the envelope {"error":{"code","message","type","request_id","details"?}}.',
      )
      .setVersion(config.version)
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Admin-Key' }, 'admin-key')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key (ak_live_…) or the admin key' }, 'bearer')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', useGlobalPrefix: false, ui: true });

  await registerFrontDoor(fastify, {
    portalDir: config.portalDir,
    maxBodyBytes: config.maxBodyBytes,
    routes: routeIndex,
    proxy: app.get(ProxyHandler),
    logger,
    dispatcher,
  });
  await app.init();

  if (config.mode === 'external' && !(await app.get(KeyValueStore).ping(3000))) {
    await app.close();
    throw new StartupError(`Cannot reach Redis at ${redactUrl(config.redisUrl ?? '')} (REDIS_URL): no answer within 3 s`);
  }
  return app;
}

function explainStartupFailure(error: unknown, config: AppConfig): Error {
  const text = error instanceof Error ? `${error.message} ${(error as { code?: string }).code ?? ''}` : String(error);
  if (/redis/i.test(text) && config.mode === 'external') {
    return new StartupError((error as Error).message.split('\n')[0]);
  }
  if (
    config.mode === 'external' &&
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|timeout|password authentication|does not exist|ETIMEDOUT|Connection terminated/i.test(text)
  ) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return new StartupError(`Cannot connect to PostgreSQL at ${redactUrl(config.databaseUrl ?? '')} (DATABASE_URL): ${reason}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
