import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrors } from '../../common/http/api-errors.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import {
  EditMessageDto,
  HistoryQueryDto,
  MessageDto,
  MessagePageDto,
  SendMessageDto,
} from './dto/message.dto.js';
import { MessageRouteErrors } from './message-errors.decorator.js';
import { MessagesService } from './messages.service.js';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('rooms/:id/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @ApiOperation({ summary: "List a room's messages (or a thread's replies)" })
  @Get()
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: MessagePageDto })
  @ApiErrors(401, 429)
  @MessageRouteErrors.history
  async history(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Query() q: HistoryQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const page = await this.messages.history(p, id, MessagesService.historyQuery(q));
    // A MessagePageDto, written as text: the items come rendered from the database.
    res.type('application/json');
    return `{"items":${page.itemsJson},"nextCursor":${JSON.stringify(page.nextCursor)}}`;
  }

  @ApiOperation({ summary: 'Send a message' })
  @Post()
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({
    type: MessageDto,
    description:
      'stored; a repeated clientMsgId stores nothing and answers the message stored the first time',
  })
  @ApiErrors(401, 429)
  @MessageRouteErrors.send
  async send(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: SendMessageDto,
  ): Promise<MessageDto> {
    const { message } = await this.messages.send(p, id, body);
    return MessageDto.from(message);
  }

  @ApiOperation({ summary: 'Edit a message (author)' })
  @Patch(':messageId')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'messageId', format: 'uuid' })
  @ApiOkResponse({
    type: MessageDto,
    description: 'edited by its author; subscribers get message.edited',
  })
  @ApiErrors(401, 429)
  @MessageRouteErrors.edit
  async edit(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('messageId') messageId: string,
    @Body() body: EditMessageDto,
  ): Promise<MessageDto> {
    return MessageDto.from(await this.messages.edit(p, id, messageId, body.content));
  }

  @ApiOperation({ summary: 'Delete a message' })
  @Delete(':messageId')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'messageId', format: 'uuid' })
  @ApiNoContentResponse({
    description:
      'a tombstone now (content "", seq kept); subscribers get message.deleted. Deleting it again: 204, nothing new',
  })
  @ApiErrors(401, 429)
  @MessageRouteErrors.delete
  async delete(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('messageId') messageId: string,
  ): Promise<void> {
    await this.messages.delete(p, id, messageId);
  }

  @ApiOperation({ summary: 'React to a message' })
  @Put(':messageId/reactions/:emoji')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'messageId', format: 'uuid' })
  @ApiParam({ name: 'emoji', description: 'one emoji (URL-encoded) or :short_name:' })
  @ApiNoContentResponse({
    description:
      'reacted (idempotent); subscribers get reaction.added, unless it was already there',
  })
  @ApiErrors(401, 429)
  @MessageRouteErrors.react
  async react(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('messageId') messageId: string,
    @Param('emoji') emoji: string,
  ): Promise<void> {
    await this.messages.react(p, id, messageId, emoji, true);
  }

  @ApiOperation({ summary: 'Take a reaction back' })
  @Delete(':messageId/reactions/:emoji')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'messageId', format: 'uuid' })
  @ApiParam({ name: 'emoji', description: 'one emoji (URL-encoded) or :short_name:' })
  @ApiNoContentResponse({
    description:
      'reaction removed (idempotent); subscribers get reaction.removed, unless it was not there',
  })
  @ApiErrors(401, 429)
  @MessageRouteErrors.unreact
  async unreact(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('messageId') messageId: string,
    @Param('emoji') emoji: string,
  ): Promise<void> {
    await this.messages.react(p, id, messageId, emoji, false);
  }
}
