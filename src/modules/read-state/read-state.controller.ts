import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/http/api-errors.js';
import { PageQueryDto } from '../../common/http/pagination.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { MarkReadDto, RoomListItemDto, RoomListPageDto } from './dto/read-state.dto.js';
import { ReadStateService } from './read-state.service.js';

@ApiTags('rooms')
@ApiBearerAuth()
@Controller()
export class ReadStateController {
  constructor(private readonly readState: ReadStateService) {}

  @ApiOperation({ summary: "Move the caller's read marker in a room" })
  @Post('rooms/:id/read')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({
    description:
      "sets the caller's lastReadSeq to max(lastReadSeq, min(seq, lastSeq)); when it moves, every socket of the caller gets read.updated",
  })
  @ApiErrors(400, 401, 403, 404, 429)
  async markRead(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: MarkReadDto,
  ): Promise<void> {
    await this.readState.markRead(p.userId, id, body.seq);
  }

  @ApiOperation({ summary: "List the caller's rooms with unread counts" })
  @Get('users/me/rooms')
  @ApiOkResponse({
    type: RoomListPageDto,
    description:
      "the caller's rooms, direct ones included, most recent message first, with read state and the newest message",
  })
  @ApiErrors(400, 401, 429)
  async myRooms(@CurrentUser() p: Principal, @Query() q: PageQueryDto): Promise<RoomListPageDto> {
    const page = await this.readState.listRooms(p.userId, q.limit, q.cursor);
    return { items: page.items.map(RoomListItemDto.fromItem), nextCursor: page.nextCursor };
  }
}
