import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrors } from '../../common/http/api-errors.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { DirectRoomsService } from './direct-rooms.service.js';
import { OpenDirectRoomDto } from './dto/direct-room.dto.js';
import { RoomDto } from './dto/room.dto.js';

@ApiTags('rooms')
@ApiBearerAuth()
@Controller('dms')
export class DirectRoomsController {
  constructor(private readonly direct: DirectRoomsService) {}

  @ApiOperation({ summary: 'Open the direct room of a set of people' })
  @Post()
  @HttpCode(200)
  @ApiOkResponse({ type: RoomDto, description: 'the existing direct room of exactly these people' })
  @ApiCreatedResponse({
    type: RoomDto,
    description:
      "a new direct room; every member is in it, and every member's sockets on every instance (the caller's included) get dm.created {room}",
  })
  @ApiErrors(400, 401, 403, 404, 429)
  async open(
    @CurrentUser() p: Principal,
    @Body() body: OpenDirectRoomDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RoomDto> {
    const { room, created } = await this.direct.open(p.userId, body.userIds);
    if (created) res.status(201);
    return RoomDto.from(room);
  }
}
