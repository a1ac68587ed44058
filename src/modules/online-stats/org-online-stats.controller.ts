import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/http/api-errors.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { OrgOnlineDto, OrgOnlineQueryDto } from './dto/online-stats.dto.js';
import { OnlineTimeService } from './online-time.service.js';

/** Registered only when the organisations module is on as well. */
@ApiTags('online-stats')
@ApiBearerAuth()
@Controller('stats/online/orgs')
export class OrgOnlineStatsController {
  constructor(private readonly stats: OnlineTimeService) {}

  @Get(':id')
  @ApiOperation({
    summary: "An organisation's online time per department (online statistics + organisations)",
    description:
      'Per department (its direct members), then `unassigned`: the sum over members of each ' +
      'member’s own online seconds in [from, to). For the organisation’s owners and admins, or ' +
      'holders of stats.read for it.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: OrgOnlineDto })
  @ApiErrors(400, 401, 403, 404, 429)
  async orgOnline(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Query() q: OrgOnlineQueryDto,
  ): Promise<OrgOnlineDto> {
    return OrgOnlineDto.from(await this.stats.forOrg(p.userId, id, q));
  }
}
