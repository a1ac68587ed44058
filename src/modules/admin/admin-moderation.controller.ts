import { Body, Controller, Delete, HttpCode, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { RequirePermission } from '../../common/authz/require-permission.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { MessageDto } from '../messages/dto/message.dto.js';
import { AdminErrors } from './admin-errors.js';
import { MuteBodyDto, MuteDto, ReasonBodyDto } from './dto/admin.dto.js';
import { ModerationService } from './moderation.service.js';

const ROOM = { name: 'roomId', format: 'uuid' } as const;

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/rooms')
export class AdminModerationController {
  constructor(private readonly moderation: ModerationService) {}

  @Delete(':roomId/messages/:messageId')
  @HttpCode(200)
  @RequirePermission('message.delete.any', { room: 'roomId' })
  @ApiOperation({
    summary: 'Delete any message (message.delete.any in the room)',
    description:
      'The message becomes a tombstone: content empty, deletedAt set, seq kept (history has no ' +
      'gap). Subscribers get message.deleted {roomId, id, seq}. Deleting a tombstone again ' +
      'answers it unchanged.',
  })
  @ApiParam(ROOM)
  @ApiParam({ name: 'messageId', format: 'uuid' })
  @ApiOkResponse({ type: MessageDto, description: 'the tombstone' })
  @AdminErrors({ 404: 'No such room or message in it (ROOM_NOT_FOUND, MESSAGE_NOT_FOUND)' })
  async deleteMessage(
    @CurrentUser() p: Principal,
    @UuidParam('roomId') roomId: string,
    @UuidParam('messageId') messageId: string,
    @Body() body: ReasonBodyDto,
  ): Promise<MessageDto> {
    return MessageDto.from(
      await this.moderation.deleteMessage(p.userId, roomId, messageId, body.reason, 'rest'),
    );
  }

  @Post(':roomId/mutes')
  @RequirePermission('member.mute', { room: 'roomId' })
  @ApiOperation({
    summary: 'Mute a user in the room until a time (member.mute in the room)',
    description:
      'Their sends to the room get 403 MUTED (on the WebSocket an error frame with ref = ' +
      'clientMsgId) until then. Muting again replaces the mute. Takes effect on this instance ' +
      'at once and on the others within a second.',
  })
  @ApiParam(ROOM)
  @ApiCreatedResponse({ type: MuteDto })
  @AdminErrors({
    404: 'No such room or user (ROOM_NOT_FOUND, USER_NOT_FOUND)',
    409: 'Muting yourself (ADMIN_SELF_ACTION)',
  })
  async mute(
    @CurrentUser() p: Principal,
    @UuidParam('roomId') roomId: string,
    @Body() body: MuteBodyDto,
  ): Promise<MuteDto> {
    return MuteDto.from(await this.moderation.mute(p.userId, roomId, body));
  }

  @Delete(':roomId/mutes/:userId')
  @HttpCode(204)
  @RequirePermission('member.mute', { room: 'roomId' })
  @ApiOperation({ summary: 'Lift a mute (member.mute in the room)' })
  @ApiParam(ROOM)
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'the user may send again' })
  @AdminErrors({ 404: 'No such room, or no mute in force (ROOM_NOT_FOUND, MUTE_NOT_FOUND)' })
  async unmute(
    @CurrentUser() p: Principal,
    @UuidParam('roomId') roomId: string,
    @UuidParam('userId') userId: string,
    @Body() body: ReasonBodyDto,
  ): Promise<void> {
    await this.moderation.unmute(p.userId, roomId, userId, body.reason);
  }

  @Post(':roomId/kick/:userId')
  @HttpCode(204)
  @RequirePermission('member.kick', { room: 'roomId' })
  @ApiOperation({
    summary: 'Remove a member (member.kick in the room)',
    description:
      'Subscribers get member.left; the user gets room.unsubscribed {reason: "kicked"} on every ' +
      'instance. The owner cannot be kicked.',
  })
  @ApiParam(ROOM)
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'removed' })
  @AdminErrors({
    404: 'No such room, or the user is not a member (ROOM_NOT_FOUND, MEMBER_NOT_FOUND)',
    409: "Kicking yourself or the room's owner (ADMIN_SELF_ACTION, ROOM_OWNER_PROTECTED)",
  })
  async kick(
    @CurrentUser() p: Principal,
    @UuidParam('roomId') roomId: string,
    @UuidParam('userId') userId: string,
    @Body() body: ReasonBodyDto,
  ): Promise<void> {
    await this.moderation.kick(p.userId, roomId, userId, body.reason);
  }
}
