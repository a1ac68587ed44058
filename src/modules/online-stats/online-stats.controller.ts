import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/http/api-errors.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { UserOnlineDto, UserOnlineQueryDto } from './dto/online-stats.dto.js';
import { OnlineTimeService } from './online-time.service.js';

@ApiTags('online-stats')
@ApiBearerAuth()
@Controller('stats/online')
export class OnlineStatsController {
  constructor(private readonly stats: OnlineTimeService) {}

  @Get()
  @ApiOperation({
    summary: "A user's online time per UTC day or hour (online statistics module)",
    description:
      'Seconds with at least one WebSocket connection open, per period of [from, to). Connections ' +
      'on several devices at once count once (their union, not their sum). The caller’s own, or ' +
      'any user’s with the stats.read permission.',
  })
  @ApiOkResponse({ type: UserOnlineDto })
  @ApiErrors(400, 401, 403, 404, 429)
  async userOnline(
    @CurrentUser() p: Principal,
    @Query() q: UserOnlineQueryDto,
  ): Promise<UserOnlineDto> {
    return UserOnlineDto.from(await this.stats.forUser(p.userId, q));
  }
}
