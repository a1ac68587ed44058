import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { ApiErrorCodes } from '../../common/http/api-errors.js';
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
  @ApiErrorCodes({
    401: {
      AUTH_REQUIRED: 'METRICS_TOKEN is configured and the request lacks it',
      TOKEN_INVALID: 'METRICS_TOKEN is configured and the request has another token',
    },
  })
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
