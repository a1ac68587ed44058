import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/http/api-errors.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { OnlineMemberDto, RoomPresenceDto } from './dto/online-stats.dto.js';
import { PresenceService } from './presence.service.js';

/** A room's presence: a path under rooms, registered only by this module. */
@ApiTags('online-stats')
@ApiBearerAuth()
@Controller('rooms')
export class PresenceController {
  constructor(private readonly presence: PresenceService) {}

  @Get(':id/presence')
  @ApiOperation({
    summary: "Who of the room's members is online (online statistics module)",
    description:
      'Members with a WebSocket connection open on a live instance. Members only. Changes arrive ' +
      'on the WebSocket as `presence {roomId, userId, online}` frames to the room’s subscribers.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: RoomPresenceDto })
  @ApiErrors(400, 401, 403, 404, 429)
  async presenceOf(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
  ): Promise<RoomPresenceDto> {
    const online = await this.presence.onlineIn(p.userId, id);
    return { roomId: id, online: online.map(OnlineMemberDto.from) };
  }
}
