import { Controller, Delete, HttpCode, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { ApiErrors } from '../../../common/http/api-errors.js';
import { UuidParam } from '../../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../../auth/principal.js';
import { MembershipDto } from '../../rooms/dto/room.dto.js';
import { BotsService } from '../bots.service.js';

/** A room's bots: added by the room's owner, removed by the room's or the bot's owner. */
@ApiTags('bots')
@ApiBearerAuth()
@Controller('rooms/:id/bots')
export class RoomBotsController {
  constructor(private readonly bots: BotsService) {}

  @ApiOperation({ summary: 'Add a bot to a room (owner)' })
  @Post(':botId')
  @HttpCode(200)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'botId', format: 'uuid' })
  @ApiOkResponse({
    type: MembershipDto,
    description:
      "the bot's membership (members see member.joined); the caller owns the room (or holds room.update.any) and the bot (or holds bot.manage)",
  })
  @ApiErrors(400, 401, 403, 404, 429)
  async add(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('botId') botId: string,
  ): Promise<MembershipDto> {
    return MembershipDto.from(await this.bots.addToRoom(p, id, botId));
  }

  @ApiOperation({ summary: 'Remove a bot from a room (owner)' })
  @Delete(':botId')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'botId', format: 'uuid' })
  @ApiNoContentResponse({
    description: 'members see member.left (reason "kicked"); 404 when the bot is not in the room',
  })
  @ApiErrors(400, 401, 403, 404, 429)
  async remove(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('botId') botId: string,
  ): Promise<void> {
    await this.bots.removeFromRoom(p, id, botId);
  }
}
