import type { Server as HttpServer } from 'node:http';
import type { Request, Response } from 'express';
import { RequestMethod, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Logger as Pino } from 'pino';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config/load-config.js';
import { HttpExceptionFilter } from './common/errors/http-exception.filter.js';
import { RATE_LIMIT_HEADERS } from './common/http/rate-limit-headers.js';
import { securityHeaders } from './common/http/security-headers.js';
import { serveWebApp } from './common/http/web-app.js';
import { drainOnClose } from './common/http/drain-on-close.js';
import { createValidationPipe } from './common/http/validation.js';
import { createRootLogger, PinoNestLogger } from './infrastructure/logging/logger.js';
import { requestContext } from './infrastructure/logging/request-context.middleware.js';
import { ChatMetrics } from './infrastructure/metrics/chat-metrics.js';
import { keepUploadBodiesRaw } from './modules/attachments/http/raw-upload-body.js';
import { AsyncApiService } from './infrastructure/asyncapi/asyncapi.service.js';
import { OpenApiDocumentService } from './infrastructure/openapi/openapi-document.service.js';
import { ChatWsAdapter } from './modules/realtime/chat-ws.adapter.js';

export interface CreateAppOptions {
  /** The whole configuration, validated by loadConfig before anything started. */
  config: AppConfig;
  databaseUrl: string;
  logger?: Pino;
}

/** How long an idle kept-alive HTTP connection stays open on the server side. */
export const HTTP_KEEP_ALIVE_MS = 65_000;
/** At shutdown, requests in flight get this long to be answered before their connections close. */
export const HTTP_DRAIN_MS = 10_000;

/** Builds the whole application (used by main.ts and by the end-to-end tests alike). */
export async function createApp(opts: CreateAppOptions): Promise<INestApplication> {
  const { config } = opts;
  const { http, websocket: ws } = config;
  const pino = opts.logger ?? createRootLogger(http.logLevel);

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config, databaseUrl: opts.databaseUrl }),
    { logger: new PinoNestLogger(pino), bodyParser: true },
  );
  if (http.trustProxy) app.set('trust proxy', true);
  app.disable('x-powered-by');
  app.use(securityHeaders());
  // Before the body parser, so every answer (a malformed-body error too) carries the request id.
  app.use(requestContext(pino, app.get(ChatMetrics)));
  app.use(keepUploadBodiesRaw());
  app.useBodyParser('json', { limit: '64kb' });

  // Outside production an unset allowlist means any Origin; in production, none but same-origin.
  const allowedOrigins = http.allowedOrigins ?? (http.isProduction ? [] : null);
  app.enableCors({
    origin: allowedOrigins ?? true,
    exposedHeaders: ['X-Request-Id', 'Retry-After', ...RATE_LIMIT_HEADERS],
  });

  app.setGlobalPrefix('api', {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());

  // The realtime module authenticates every upgrade itself (WsUpgradeAuth).
  app.useWebSocketAdapter(
    new ChatWsAdapter(app, {
      maxPayload: ws.maxPayload,
      ratePerSec: ws.ratePerSec,
      rateBurst: ws.rateBurst,
      allowedOrigins,
    }),
  );

  const doc = new DocumentBuilder()
    .setTitle('Chat backend')
    .setDescription(
      'REST API of the real-time chat service. The WebSocket protocol (/ws) and the event-bus records are in the AsyncAPI document at /asyncapi.json. ' +
        'Errors share one body: {statusCode, error, message, code, requestId}.',
    )
    .setVersion('1')
    .addServer('/', 'this service')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when one is configured' },
      'metricsToken',
    )
    .build();
  // DOCS_ENABLED (off in production unless chosen): when off, /docs and /docs-json are 404.
  // Same for /asyncapi.json: the /ws protocol and the event-bus records, from the modules on.
  if (config.operations.docs.enabled) {
    const openApi = app.get(OpenApiDocumentService);
    SwaggerModule.setup('docs', app, () => openApi.finish(SwaggerModule.createDocument(app, doc)), {
      jsonDocumentUrl: 'docs-json',
    });
    const asyncApi = app.get(AsyncApiService);
    app
      .getHttpAdapter()
      .getInstance()
      .get('/asyncapi.json', (req: Request, res: Response) =>
        res.json(asyncApi.document(req.get('host'))),
      );
  }

  // Idle kept-alive connections stay open longer than a load balancer's idle timeout (60 s on
  // the common ones) and far longer than clients keep them (undici: 4 s), so the server never
  // closes a connection at the moment a client reuses it ("other side closed" on a busy machine).
  const server: HttpServer = app.getHttpServer();
  server.keepAliveTimeout = HTTP_KEEP_ALIVE_MS;
  server.headersTimeout = HTTP_KEEP_ALIVE_MS + 1_000;
  // ... but a shutdown closes each of them as soon as its last request is answered.
  drainOnClose(server, HTTP_DRAIN_MS);

  await app.init();
  // The reference web app at `/` (when built: `npm run build` builds it into dist/web).
  serveWebApp(app);
  // Nest answers unknown routes under /api itself; anything else falls through to this, so
  // every unknown path gets the contract's JSON error body rather than Express's HTML page.
  app
    .getHttpAdapter()
    .getInstance()
    .use((req: Request & { id?: string }, res: Response) => {
      res.status(404).json({
        statusCode: 404,
        error: 'Not Found',
        message: `Cannot ${req.method} ${req.path}`,
        code: 'NOT_FOUND',
        requestId: req.id,
      });
    });

  return app;
}
