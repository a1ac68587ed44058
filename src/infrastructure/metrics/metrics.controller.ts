import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiUnauthorizedResponse, ApiOperation } from '@nestjs/swagger';
import { Public, SkipRateLimit } from '../../modules/auth/principal.js';
import { ChatMetrics } from './chat-metrics.js';
import { MetricsTokenGuard } from './metrics-token.guard.js';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ChatMetrics) {}

  @Public()
  @SkipRateLimit()
  @UseGuards(MetricsTokenGuard)
  @ApiOperation({ summary: 'Prometheus metrics', security: [{}, { metricsToken: [] }] })
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOkResponse({
    description: 'Prometheus text format',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiUnauthorizedResponse({
    description:
      'METRICS_TOKEN is configured and the request lacks it (AUTH_REQUIRED) or has another (TOKEN_INVALID)',
  })
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
