import { Controller, Get } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { EventBus } from '../../common/events/event-bus.js';
import { DatabaseWatch } from '../database/database-watch.js';
import { Public, SkipRateLimit } from '../../modules/auth/principal.js';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: DatabaseWatch,
    private readonly indicators: HealthIndicatorService,
    private readonly bus: EventBus,
  ) {}

  /** The process is up and serving HTTP. */
  @Public()
  @SkipRateLimit()
  @ApiOperation({ summary: 'Liveness: the process is up', security: [] })
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Ready for traffic: the database answers and the event bus is connected. */
  @Public()
  @SkipRateLimit()
  @ApiOperation({ summary: 'Readiness: database and event bus reachable', security: [] })
  @Get('ready')
  @HealthCheck()
  @ApiOkResponse({ description: 'database and event bus are up' })
  @ApiServiceUnavailableResponse({
    description: 'the database or the event bus is down (details in the body)',
  })
  ready() {
    return this.health.check([
      // Through the watch, so a failed probe is also logged (once per transition).
      async (): Promise<HealthIndicatorResult> => {
        const indicator = this.indicators.check('database');
        const s = await this.db.check();
        return s.up ? indicator.up() : indicator.down({ message: s.error, since: s.since });
      },
      async (): Promise<HealthIndicatorResult> => {
        const indicator = this.indicators.check('bus');
        const h = await this.bus.health();
        return h.healthy
          ? indicator.up({ driver: h.driver, ...h.details })
          : indicator.down({ driver: h.driver, ...h.details });
      },
    ]);
  }
}
