import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrorCodes, ApiErrors } from '../../common/http/api-errors.js';
import { PageQueryDto } from '../../common/http/pagination.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { RetentionErrorCodes } from '../retention/domain/retention-errors.js';
import {
  CreateRoomDto,
  JoinRoomDto,
  ListRoomsQueryDto,
  MembershipDto,
  MembershipPageDto,
  RoomDto,
  RoomPageDto,
  UpdateRoomDto,
} from './dto/room.dto.js';
import { RoomsService } from './rooms.service.js';

@ApiTags('rooms')
@ApiBearerAuth()
@Controller('rooms')
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @ApiOperation({ summary: 'Create a room' })
  @Post()
  @ApiCreatedResponse({ type: RoomDto, description: 'the creator is the owner and first member' })
  @ApiErrors(401, 429)
  @ApiErrorCodes({
    400: {
      VALIDATION_FAILED: 'a malformed field; the message names it',
      MALFORMED_JSON: 'the body is not JSON',
      ROOM_PASSWORD_REQUIRED: 'a private room needs a password',
    },
    409: { ROOM_NAME_TAKEN: 'a room with this name exists' },
  })
  async create(@CurrentUser() p: Principal, @Body() body: CreateRoomDto): Promise<RoomDto> {
    return RoomDto.from(await this.rooms.create(p, body));
  }

  @ApiOperation({ summary: "List public rooms and the caller's rooms" })
  @Get()
  @ApiOkResponse({
    type: RoomPageDto,
    description: "public rooms and the caller's own rooms, newest first",
  })
  @ApiErrors(400, 401, 429)
  async list(@CurrentUser() p: Principal, @Query() query: ListRoomsQueryDto): Promise<RoomPageDto> {
    const page = await this.rooms.list(p, query.q, query.limit, query.cursor);
    return { items: page.items.map(RoomDto.from), nextCursor: page.nextCursor };
  }

  @ApiOperation({ summary: 'Get a room' })
  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: RoomDto })
  @ApiErrors(400, 401, 404, 429)
  async get(@CurrentUser() p: Principal, @UuidParam('id') id: string): Promise<RoomDto> {
    return RoomDto.from(await this.rooms.get(p, id));
  }

  @ApiOperation({ summary: 'Update a room (owner)' })
  @Patch(':id')
  @ApiOperation({
    summary: "Change a room's settings (owner only)",
    description:
      "name, description, privacy and password, and retentionDays: how many days the room's messages and room events are kept (null: the server's RETENTION_DAYS). A bad value changes nothing.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: RoomDto })
  @ApiErrors(401, 429)
  @ApiErrorCodes({
    400: {
      VALIDATION_FAILED: 'a malformed id or field; the message names it',
      MALFORMED_JSON: 'the body is not JSON',
      ROOM_PASSWORD_REQUIRED: 'a room made private without a password',
      [RetentionErrorCodes.retentionDaysInvalid]:
        'retentionDays is 0, negative, not a whole number, or over 36500 (null clears it)',
    },
    403: {
      NOT_ROOM_OWNER: 'the caller is a member but not the owner',
      NOT_ROOM_MEMBER: 'a public room the caller is not a member of',
      DIRECT_ROOM: 'a direct room has no settings to change',
    },
    404: { ROOM_NOT_FOUND: 'no such room, or a private room the caller is not in' },
    409: { ROOM_NAME_TAKEN: 'another room has this name' },
  })
  async update(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: UpdateRoomDto,
  ): Promise<RoomDto> {
    return RoomDto.from(await this.rooms.update(p, id, body));
  }

  @ApiOperation({ summary: 'Delete a room (owner)' })
  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'room, memberships and messages deleted' })
  @ApiErrors(400, 401, 404, 429)
  @ApiErrorCodes({ 403: { NOT_ROOM_OWNER: 'only the owner deletes a room' } })
  async delete(@CurrentUser() p: Principal, @UuidParam('id') id: string): Promise<void> {
    await this.rooms.delete(p, id);
  }

  @ApiOperation({ summary: 'Join a room' })
  @Post(':id/join')
  @HttpCode(200)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({
    type: MembershipDto,
    description: 'joining a room one is already in answers the same membership',
  })
  @ApiErrors(400, 401, 404)
  @ApiErrorCodes({
    403: { ROOM_PASSWORD_INVALID: 'wrong or missing password of a private room' },
    429: {
      ROOM_JOIN_THROTTLED: 'too many wrong passwords for this room; retry later',
      RATE_LIMITED: 'too many requests; retry after Retry-After seconds',
    },
  })
  async join(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: JoinRoomDto,
  ): Promise<MembershipDto> {
    return MembershipDto.from(await this.rooms.join(p, id, body.password));
  }

  @ApiOperation({ summary: 'Leave a room' })
  @Post(':id/leave')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({
    description: 'an owner leaving hands the room to the longest-standing member',
  })
  @ApiErrors(400, 401, 403, 404, 429)
  @ApiErrorCodes({ 409: { OWNER_LAST_MEMBER: 'the owner is the last member: delete the room' } })
  async leave(@CurrentUser() p: Principal, @UuidParam('id') id: string): Promise<void> {
    await this.rooms.leave(p, id);
  }

  @ApiOperation({ summary: "List a room's members" })
  @Get(':id/members')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: MembershipPageDto })
  @ApiErrors(400, 401, 403, 404, 429)
  async members(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Query() q: PageQueryDto,
  ): Promise<MembershipPageDto> {
    const page = await this.rooms.members(p, id, q.limit, q.cursor);
    return { items: page.items.map(MembershipDto.from), nextCursor: page.nextCursor };
  }
}
