import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ChatMetrics } from './chat-metrics.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';
import { MetricsController } from './metrics.controller.js';

export interface MetricsModuleOptions {
  /** Serve GET /metrics (METRICS_ENABLED); the metrics are collected either way. */
  endpoint: boolean;
}

@Global()
@Module({})
export class MetricsModule {
  static forRoot(opts: MetricsModuleOptions): DynamicModule {
    return {
      module: MetricsModule,
      controllers: opts.endpoint ? [MetricsController] : [],
      providers: [ChatMetrics, MetricsTokenGuard],
      exports: [ChatMetrics],
    };
  }
}
