import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiTags, ApiOperation } from '@nestjs/swagger';
import { ApiErrorCodes, ApiErrors } from '../../common/http/api-errors.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { RoomEventErrorCodes } from './domain/room-event-cursor.js';
import { RoomEventPageDto, RoomEventDto, RoomEventQueryDto } from './dto/room-event.dto.js';
import { RoomEventsService } from './room-events.service.js';

@ApiTags('room events')
@ApiBearerAuth()
@Controller('rooms/:id/events')
export class RoomEventsController {
  constructor(private readonly events: RoomEventsService) {}

  @ApiOperation({ summary: "List a room's events after a cursor" })
  @Get()
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({
    type: RoomEventPageDto,
    description:
      "the room's log after afterEventSeq: every new, edited, deleted and reacted message, member change and room update, in order",
  })
  @ApiErrors(401, 429)
  @ApiErrorCodes({
    400: { VALIDATION_FAILED: 'afterEventSeq or limit is not a whole number in range' },
    403: { NOT_ROOM_MEMBER: 'the caller is not a member of this room' },
    404: { ROOM_NOT_FOUND: 'no such room, or a private room the caller is not in' },
    409: {
      [RoomEventErrorCodes.resyncRequired]:
        "afterEventSeq is past the room's lastEventSeq: the client's state is not from this log; reload the room",
    },
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
