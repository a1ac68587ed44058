import { Body, Controller, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiParam, ApiTags, ApiOperation } from '@nestjs/swagger';
import { ApiErrors } from '../../../common/http/api-errors.js';
import { UuidParam } from '../../../common/http/uuid-param.js';
import { Public } from '../../auth/principal.js';
import { MessageDto } from '../../messages/dto/message.dto.js';
import { BotsService, type BotPrincipal } from '../bots.service.js';
import { BotSendMessageDto } from '../dto/bot.dto.js';
import { BotAuthGuard, CurrentBot } from './bot-auth.guard.js';
import { BotRouteErrors } from '../bot-errors.decorator.js';

/** What bots call, with `Authorization: Bot <token>` instead of a user's bearer token. */
@ApiTags('bots')
@Public()
@UseGuards(BotAuthGuard)
@ApiHeader({
  name: 'Authorization',
  required: true,
  description: '`Bot <token>`: the token from POST /api/bots or POST /api/bots/:id/token',
})
@Controller('bot')
export class BotApiController {
  constructor(private readonly bots: BotsService) {}

  @ApiOperation({ summary: 'Post a message as a bot', security: [{ bot: [] }] })
  @Post('rooms/:id/messages')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({
    type: MessageDto,
    description:
      'stored with type "bot" as the bot\'s user (a member of the room); a repeated clientMsgId answers the first message',
  })
  @ApiErrors(400, 401, 403, 404, 429)
  @BotRouteErrors.send
  async send(
    @CurrentBot() bot: BotPrincipal,
    @UuidParam('id') id: string,
    @Body() body: BotSendMessageDto,
  ): Promise<MessageDto> {
    const { message } = await this.bots.send(bot, id, body);
    return MessageDto.from(message);
  }
}
