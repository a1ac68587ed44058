import { UseFilters, UsePipes } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { RequirePermission, WS_PRINCIPAL } from '../../common/authz/require-permission.js';
import { Errors } from '../../common/errors/domain-error.js';
import { createValidationPipe } from '../../common/http/validation.js';
import type { Principal } from '../auth/principal.js';
import { WsErrorFilter } from '../realtime/ws-exception.filter.js';
import { DeleteMessageWsDto } from './dto/admin.dto.js';
import { ModerationService } from './moderation.service.js';

type Socket = WebSocket & { [WS_PRINCIPAL]?: Principal };

/** The acknowledgement of `message.delete`: the tombstone's place. */
export interface MessageDeleteAck {
  roomId: string;
  id: string;
  seq: number;
  deletedAt: string;
}

/**
 * The admin module's WebSocket events, on the core's /ws (the adapter merges gateways' handlers
 * on one socket). Only registered when the module is on: otherwise `message.delete` is an
 * UNKNOWN_EVENT error frame like any other unknown event.
 */
@WebSocketGateway({ path: '/ws' })
@UseFilters(WsErrorFilter)
@UsePipes(createValidationPipe())
export class AdminGateway {
  constructor(private readonly moderation: ModerationService) {}

  /**
   * Answers `message.delete.ack {roomId, id, seq, deletedAt}` to the caller (who need not be
   * subscribed); subscribers of the room get `message.deleted` as for a REST delete.
   */
  @SubscribeMessage('message.delete')
  @RequirePermission('message.delete.any', { room: 'roomId' })
  async deleteMessage(
    @ConnectedSocket() socket: Socket,
    @MessageBody() body: DeleteMessageWsDto,
  ): Promise<{ event: 'message.delete.ack'; data: MessageDeleteAck }> {
    const principal = socket[WS_PRINCIPAL];
    if (!principal) throw Errors.unauthorized('AUTH_REQUIRED', 'authentication required');
    const m = await this.moderation.deleteMessage(
      principal.userId,
      body.roomId,
      body.messageId,
      body.reason,
      'ws',
    );
    return {
      event: 'message.delete.ack',
      data: { roomId: m.roomId, id: m.id, seq: m.seq, deletedAt: m.deletedAt ?? '' },
    };
  }
}
