import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { ApiErrors } from '../../../common/http/api-errors.js';
import { PageQueryDto } from '../../../common/http/pagination.js';
import { UuidParam } from '../../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../../auth/principal.js';
import { BotsService } from '../bots.service.js';
import {
  BotDto,
  BotPageDto,
  BotWithTokenDto,
  CreateBotDto,
  DeliveryDto,
  DeliveryPageDto,
  DeliveryQueryDto,
  UpdateBotDto,
} from '../dto/bot.dto.js';
import { BotRouteErrors } from '../bot-errors.decorator.js';

/** A bot's name is its user's: unique among users and bots alike. */

/** Managing bots: their owner, or a holder of the bot.manage permission. */
@ApiTags('bots')
@ApiBearerAuth()
@Controller('bots')
export class BotsController {
  constructor(private readonly bots: BotsService) {}

  @ApiOperation({ summary: 'Create a bot (its token is shown once)' })
  @Post()
  @ApiCreatedResponse({
    type: BotWithTokenDto,
    description: 'the bot, with its token: shown this once (only its SHA-256 is kept)',
  })
  @ApiErrors(400, 401, 429)
  @BotRouteErrors.create
  async create(@CurrentUser() p: Principal, @Body() body: CreateBotDto): Promise<BotWithTokenDto> {
    const { bot, token } = await this.bots.create(p, body);
    return BotWithTokenDto.withToken(bot, token);
  }

  @ApiOperation({ summary: "List the caller's bots" })
  @Get()
  @ApiOkResponse({ type: BotPageDto, description: "the caller's bots, newest first" })
  @ApiErrors(400, 401, 429)
  async list(@CurrentUser() p: Principal, @Query() q: PageQueryDto): Promise<BotPageDto> {
    const page = await this.bots.listMine(p, q.limit, q.cursor);
    return { items: page.items.map(BotDto.from), nextCursor: page.nextCursor };
  }

  @ApiOperation({ summary: "Get one of the caller's bots" })
  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: BotDto })
  @ApiErrors(400, 401, 403, 404, 429)
  async get(@CurrentUser() p: Principal, @UuidParam('id') id: string): Promise<BotDto> {
    return BotDto.from(await this.bots.get(p, id));
  }

  @ApiOperation({ summary: 'Update a bot' })
  @Patch(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: BotDto })
  @ApiErrors(400, 401, 403, 404, 429)
  @BotRouteErrors.update
  async update(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: UpdateBotDto,
  ): Promise<BotDto> {
    return BotDto.from(await this.bots.update(p, id, body));
  }

  @ApiOperation({ summary: "Rotate a bot's token" })
  @Post(':id/token')
  @HttpCode(200)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({
    type: BotWithTokenDto,
    description: 'a new token (shown this once); the old one stops working at once',
  })
  @ApiErrors(400, 401, 403, 404, 429)
  async rotate(@CurrentUser() p: Principal, @UuidParam('id') id: string): Promise<BotWithTokenDto> {
    const { bot, token } = await this.bots.rotateToken(p, id);
    return BotWithTokenDto.withToken(bot, token);
  }

  @ApiOperation({ summary: 'Delete a bot' })
  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({
    description:
      'the bot leaves its rooms and its token stops working; its user stays (disabled) as the author of its messages',
  })
  @ApiErrors(400, 401, 403, 404, 429)
  async delete(@CurrentUser() p: Principal, @UuidParam('id') id: string): Promise<void> {
    await this.bots.delete(p, id);
  }

  @ApiOperation({ summary: "List a bot's webhook deliveries" })
  @Get(':id/deliveries')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({
    type: DeliveryPageDto,
    description: "the bot's webhook deliveries, newest first",
  })
  @ApiErrors(400, 401, 403, 404, 429)
  async deliveries(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Query() q: DeliveryQueryDto,
  ): Promise<DeliveryPageDto> {
    const page = await this.bots.deliveries(p, id, q.status, q.limit, q.cursor);
    return { items: page.items.map(DeliveryDto.from), nextCursor: page.nextCursor };
  }
}
