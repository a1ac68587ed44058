import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ErrorResponseDto } from '../../common/http/api-errors.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { RoomEventPageDto, RoomEventDto, RoomEventQueryDto } from './dto/room-event.dto.js';
import { RoomEventsService } from './room-events.service.js';

@ApiTags('room events')
@ApiBearerAuth()
@Controller('rooms/:id/events')
export class RoomEventsController {
  constructor(private readonly events: RoomEventsService) {}

  @Get()
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({
    type: RoomEventPageDto,
    description:
      "the room's log after afterEventSeq: every new, edited, deleted and reacted message, member change and room update, in order",
  })
  @ApiErrors(400, 401, 403, 404, 429)
  @ApiResponse({
    status: 409,
    type: ErrorResponseDto,
    description:
      "RESYNC_REQUIRED: afterEventSeq is past the room's lastEventSeq (the client's state is not from this log)",
  })
  async list(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Query() q: RoomEventQueryDto,
  ): Promise<RoomEventPageDto> {
    const page = await this.events.list(p, id, q.afterEventSeq ?? 0, q.limit);
    return { items: page.items.map(RoomEventDto.from), nextCursor: page.nextCursor };
  }
}
