import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/http/api-errors.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { HistoryQueryDto, MessageDto, MessagePageDto, SendMessageDto } from './dto/message.dto.js';
import { MessagesService } from './messages.service.js';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('rooms/:id/messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Get()
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: MessagePageDto })
  @ApiErrors(400, 401, 403, 404, 429)
  async history(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Query() q: HistoryQueryDto,
  ): Promise<MessagePageDto> {
    const page = await this.messages.history(p, id, MessagesService.historyQuery(q));
    return { items: page.items.map(MessageDto.from), nextCursor: page.nextCursor };
  }

  @Post()
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({
    type: MessageDto,
    description:
      'stored; a repeated clientMsgId stores nothing and answers the message stored the first time',
  })
  @ApiErrors(400, 401, 403, 404, 409, 429)
  async send(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: SendMessageDto,
  ): Promise<MessageDto> {
    const { message } = await this.messages.send(p, id, body);
    return MessageDto.from(message);
  }
}
