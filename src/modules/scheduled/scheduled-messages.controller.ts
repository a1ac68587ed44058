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
import { ApiErrors } from '../../common/http/api-errors.js';
import { PageQueryDto } from '../../common/http/pagination.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import {
  CreateScheduledMessageDto,
  ScheduledMessageDto,
  ScheduledMessagePageDto,
  UpdateScheduledMessageDto,
} from './dto/scheduled-message.dto.js';
import { ScheduledRouteErrors } from './scheduled-errors.decorator.js';
import { ScheduledMessagesService } from './scheduled-messages.service.js';

@ApiTags('scheduled messages')
@ApiBearerAuth()
@Controller()
export class ScheduledMessagesController {
  constructor(private readonly scheduled: ScheduledMessagesService) {}

  @ApiOperation({ summary: 'Schedule a message in a room' })
  @Post('rooms/:id/scheduled')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({
    type: ScheduledMessageDto,
    description:
      'scheduled (members): at sendAt (within 2 s) it becomes an ordinary message of the caller, sent once across all instances',
  })
  @ApiErrors(401, 429)
  @ScheduledRouteErrors.create
  async create(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: CreateScheduledMessageDto,
  ): Promise<ScheduledMessageDto> {
    return ScheduledMessageDto.from(await this.scheduled.schedule(p, id, body));
  }

  @ApiOperation({ summary: "List the caller's scheduled messages" })
  @Get('users/me/scheduled')
  @ApiOkResponse({
    type: ScheduledMessagePageDto,
    description:
      "the caller's scheduled messages, pending, sent and failed, by sendAt; only the author sees them",
  })
  @ApiErrors(401, 429)
  @ScheduledRouteErrors.list
  async list(
    @CurrentUser() p: Principal,
    @Query() q: PageQueryDto,
  ): Promise<ScheduledMessagePageDto> {
    const page = await this.scheduled.list(p, q.limit, q.cursor);
    return { items: page.items.map(ScheduledMessageDto.from), nextCursor: page.nextCursor };
  }

  @ApiOperation({ summary: 'Change a scheduled message before it is sent' })
  @Patch('scheduled/:id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({
    type: ScheduledMessageDto,
    description: "changed (the author, before it is due); someone else's id: 404",
  })
  @ApiErrors(401, 429)
  @ScheduledRouteErrors.update
  async update(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: UpdateScheduledMessageDto,
  ): Promise<ScheduledMessageDto> {
    return ScheduledMessageDto.from(await this.scheduled.update(p, id, body));
  }

  @ApiOperation({ summary: 'Cancel a scheduled message' })
  @Delete('scheduled/:id')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({
    description: "cancelled and gone (the author, before it is due); someone else's id: 404",
  })
  @ApiErrors(401, 429)
  @ScheduledRouteErrors.delete
  async delete(@CurrentUser() p: Principal, @UuidParam('id') id: string): Promise<void> {
    await this.scheduled.cancel(p, id);
  }
}
