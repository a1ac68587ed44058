import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { ApiErrorCodes, ApiErrors } from '../../common/http/api-errors.js';
import { PageQueryDto } from '../../common/http/pagination.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { CreateInviteDto, InviteDto, OpenInviteDto, OpenInvitePageDto } from './dto/invite.dto.js';
import { InvitesService } from './invites.service.js';

@ApiTags('rooms')
@ApiBearerAuth()
@Controller()
export class InvitesController {
  constructor(private readonly invites: InvitesService) {}

  @ApiOperation({ summary: 'Invite a user to a private room (owner)' })
  @Post('rooms/:id/invites')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({
    type: InviteDto,
    description:
      "owner only, private rooms only; the invitee's sockets get invite.received, and POST /join without a password then lets them in once. An organisation's room takes only the organisation's members (403 NOT_ORG_MEMBER)",
  })
  @ApiErrors(400, 401, 403, 404, 429)
  @ApiErrorCodes({
    409: {
      INVITE_EXISTS: 'this user already has an open invite to this room',
      ALREADY_MEMBER: 'this user is already a member of the room',
    },
  })
  async create(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: CreateInviteDto,
  ): Promise<InviteDto> {
    return InviteDto.from(await this.invites.invite(p.userId, id, body.userId));
  }

  @ApiOperation({ summary: 'Withdraw or decline an invite' })
  @Delete('rooms/:id/invites/:inviteId')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'inviteId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'the owner withdraws it, or the invitee declines it' })
  @ApiErrors(400, 401, 404, 429)
  async close(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('inviteId') inviteId: string,
  ): Promise<void> {
    await this.invites.close(p.userId, id, inviteId);
  }

  @ApiOperation({ summary: "List the caller's open invites" })
  @Get('users/me/invites')
  @ApiOkResponse({
    type: OpenInvitePageDto,
    description:
      "the caller's open invites, newest first; not those to an organisation's room the caller is no longer in the organisation of (a page may then hold fewer than limit)",
  })
  @ApiErrors(400, 401, 429)
  async mine(@CurrentUser() p: Principal, @Query() q: PageQueryDto): Promise<OpenInvitePageDto> {
    const page = await this.invites.listOpen(p.userId, q.limit, q.cursor);
    return { items: page.items.map(OpenInviteDto.fromPair), nextCursor: page.nextCursor };
  }
}
