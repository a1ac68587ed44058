import {
  Inject,
  Logger,
  UseFilters,
  UsePipes,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
} from '@nestjs/websockets';
import type { WebSocket } from 'ws';
import { WS_PRINCIPAL } from '../../common/authz/require-permission.js';
import { DomainError, Errors } from '../../common/errors/domain-error.js';
import { EventBus } from '../../common/events/event-bus.js';
import { createValidationPipe } from '../../common/http/validation.js';
import { MessagesService } from '../messages/messages.service.js';
import { ReadStateService } from '../read-state/read-state.service.js';
import { RoomEventErrorCodes } from '../room-events/domain/room-event-cursor.js';
import { RoomEventsService } from '../room-events/room-events.service.js';
import type { ChatConnection } from './chat-connection.js';
import { PRINCIPAL, type AuthedRequest } from './chat-ws.adapter.js';
import { ReadDto, RoomRefDto, SendDto, SubscribeDto } from './dto/ws.dto.js';
import { RealtimeHub, REPLAY_PAGE } from './realtime-hub.service.js';
import { CloseCodes, frame } from './ws-protocol.js';
import { errorFrameFor, WsErrorFilter } from './ws-exception.filter.js';

const CONN = Symbol('chatConnection');
type Socket = WebSocket & { [CONN]?: ChatConnection };

/**
 * The WebSocket edge: a thin adapter from frames to application services. Authentication
 * happened at the upgrade (ChatWsAdapter); business rules live in the services.
 */
@WebSocketGateway({ path: '/ws' })
@UseFilters(WsErrorFilter)
@UsePipes(createValidationPipe())
export class ChatGateway
  implements OnGatewayConnection, OnGatewayDisconnect, BeforeApplicationShutdown
{
  private readonly log = new Logger('ChatGateway');

  constructor(
    private readonly hub: RealtimeHub,
    private readonly messages: MessagesService,
    private readonly readState: ReadStateService,
    private readonly roomEvents: RoomEventsService,
    @Inject(EventBus) private readonly bus: EventBus,
  ) {}

  handleConnection(socket: Socket, req: AuthedRequest): void {
    const principal = req[PRINCIPAL];
    if (!principal) {
      // Cannot happen: the adapter refuses unauthenticated upgrades. Belt and braces.
      socket.close(CloseCodes.policyViolation, 'unauthenticated');
      return;
    }
    (socket as Socket & { [WS_PRINCIPAL]?: unknown })[WS_PRINCIPAL] = principal;
    socket[CONN] = this.hub.attach(socket, principal);
  }

  handleDisconnect(socket: Socket): void {
    const conn = socket[CONN];
    if (conn) this.hub.detach(conn);
  }

  beforeApplicationShutdown(): void {
    this.hub.closeAll(CloseCodes.goingAway, 'server shutting down');
  }

  @SubscribeMessage('room.subscribe')
  async subscribe(
    @ConnectedSocket() socket: Socket,
    @MessageBody() body: SubscribeDto,
  ): Promise<void> {
    const conn = this.connectionOf(socket);
    if (body.afterSeq !== undefined && body.afterEventSeq !== undefined)
      throw Errors.validation('VALIDATION_FAILED', 'give afterEventSeq or afterSeq, not both');
    try {
      await this.hub.subscribe(
        conn,
        body.roomId,
        { afterSeq: body.afterSeq, afterEventSeq: body.afterEventSeq },
        async () => {
          const { room, firstPage } = await this.roomEvents.resume(
            conn.userId,
            body.roomId,
            body,
            REPLAY_PAGE,
          );
          return { lastSeq: room.lastSeq, lastEventSeq: room.lastEventSeq, firstPage };
        },
      );
    } catch (err) {
      // The contract's answer to a cursor that is not this log's names the room it is about.
      if (err instanceof DomainError && err.code === RoomEventErrorCodes.resyncRequired) {
        conn.send(errorFrameFor(err, body.roomId, 'room.subscribe'));
        return;
      }
      throw err;
    }
  }

  @SubscribeMessage('room.unsubscribe')
  unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: RoomRefDto): void {
    const conn = this.connectionOf(socket);
    this.hub.unsubscribe(conn, body.roomId);
    conn.send(frame('room.unsubscribed', { roomId: body.roomId, reason: 'requested' }));
  }

  @SubscribeMessage('message.send')
  async send(@ConnectedSocket() socket: Socket, @MessageBody() body: SendDto): Promise<void> {
    const conn = this.connectionOf(socket);
    // Checked and queued in frame order (errors so far become error frames through the filter);
    // the ack follows once stored, without holding up this connection's next frames.
    const { stored } = await this.messages.queueSend(conn.principal, body.roomId, {
      content: body.content,
      clientMsgId: body.clientMsgId,
      onBehalfOf: body.onBehalfOf,
      threadRootId: body.threadRootId,
      attachmentIds: body.attachmentIds,
      via: 'ws',
    });
    stored.then(
      ({ message }) =>
        conn.send(
          frame('message.ack', {
            clientMsgId: body.clientMsgId,
            id: message.id,
            seq: message.seq,
            createdAt: message.createdAt,
          }),
        ),
      (err: unknown) => conn.send(errorFrameFor(err, body.clientMsgId, 'message.send')),
    );
  }

  @SubscribeMessage('typing')
  async typing(@ConnectedSocket() socket: Socket, @MessageBody() body: RoomRefDto): Promise<void> {
    const conn = this.connectionOf(socket);
    if (!this.hub.isSubscribed(conn, body.roomId))
      throw Errors.forbidden('NOT_SUBSCRIBED', 'subscribe to the room before sending typing');
    await this.bus.publish({
      type: 'typing',
      roomId: body.roomId,
      userId: conn.userId,
      username: conn.principal.username,
    });
  }

  /** Moves the read marker; read.updated reaches every socket of the user when it moved. */
  @SubscribeMessage('room.read')
  async read(@ConnectedSocket() socket: Socket, @MessageBody() body: ReadDto): Promise<void> {
    const conn = this.connectionOf(socket);
    await this.readState.markRead(conn.userId, body.roomId, body.seq);
  }

  @SubscribeMessage('ping')
  ping(@ConnectedSocket() socket: Socket): void {
    this.connectionOf(socket).send(frame('pong', { serverTime: new Date().toISOString() }));
  }

  private connectionOf(socket: Socket): ChatConnection {
    const conn = socket[CONN];
    if (!conn) {
      this.log.error('frame from a socket with no connection state');
      throw new Error('no connection state');
    }
    return conn;
  }
}
