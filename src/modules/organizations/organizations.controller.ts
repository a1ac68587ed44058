import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/http/api-errors.js';
import { PageQueryDto } from '../../common/http/pagination.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { RoomDto, RoomPageDto } from '../rooms/dto/room.dto.js';
import {
  CreateOrgDto,
  ListOrgMembersQueryDto,
  OrgDto,
  OrgMemberDto,
  OrgMemberPageDto,
  OrgPageDto,
  OrgTreeDto,
  PutMemberDto,
} from './dto/organization.dto.js';
import { OrganizationsService } from './organizations.service.js';
import { OrgRouteErrors } from './organization-errors.decorator.js';

/** Organisations, their members and rooms (organizations module, FEATURE_ORGANIZATIONS). */
@ApiTags('organizations')
@ApiBearerAuth()
@Controller('orgs')
export class OrganizationsController {
  constructor(private readonly orgs: OrganizationsService) {}

  @Post()
  @ApiOperation({ summary: 'Create an organisation; the creator becomes its owner' })
  @ApiCreatedResponse({ type: OrgDto })
  @ApiErrors(400, 401, 429)
  @OrgRouteErrors.create
  async create(@CurrentUser() p: Principal, @Body() body: CreateOrgDto): Promise<OrgDto> {
    const { org, role } = await this.orgs.create(p, body.name);
    return OrgDto.from(org, role);
  }

  @Get()
  @ApiOperation({ summary: "The caller's organisations, newest first" })
  @ApiOkResponse({ type: OrgPageDto })
  @ApiErrors(400, 401, 429)
  async listMine(@CurrentUser() p: Principal, @Query() q: PageQueryDto): Promise<OrgPageDto> {
    const page = await this.orgs.listMine(p, q.limit, q.cursor);
    return {
      items: page.items.map((i) => OrgDto.from(i.org, i.role)),
      nextCursor: page.nextCursor,
    };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One organisation (members and org.manage holders; others: 404)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: OrgDto })
  @ApiErrors(400, 401, 404, 429)
  async get(@CurrentUser() p: Principal, @UuidParam('id') id: string): Promise<OrgDto> {
    const { org, role } = await this.orgs.get(p, id);
    return OrgDto.from(org, role);
  }

  @Get(':id/tree')
  @ApiOperation({
    summary: 'The department tree with member counts, and the positions by rank',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: OrgTreeDto })
  @ApiErrors(400, 401, 404, 429)
  async tree(@CurrentUser() p: Principal, @UuidParam('id') id: string): Promise<OrgTreeDto> {
    return OrgTreeDto.from(await this.orgs.tree(p, id));
  }

  @Get(':id/rooms')
  @ApiOperation({
    summary:
      "The organisation's rooms, newest first (members and org.manage holders); join them with POST /api/rooms/:id/join",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: RoomPageDto })
  @ApiErrors(400, 401, 404, 429)
  async rooms(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Query() q: PageQueryDto,
  ): Promise<RoomPageDto> {
    const page = await this.orgs.listRooms(p, id, q.limit, q.cursor);
    return { items: page.items.map((r) => RoomDto.from(r)), nextCursor: page.nextCursor };
  }

  @Get(':id/members')
  @ApiOperation({ summary: 'Members in joining order, optionally of one department (subtree)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: OrgMemberPageDto })
  @ApiErrors(400, 401, 404, 429)
  async members(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Query() q: ListOrgMembersQueryDto,
  ): Promise<OrgMemberPageDto> {
    const page = await this.orgs.members(p, id, q);
    return { items: page.items.map((m) => OrgMemberDto.from(m)), nextCursor: page.nextCursor };
  }

  @Put(':id/members/:userId')
  @ApiOperation({
    summary:
      'Add a user to the organisation (201) or change their role, department or position (200)',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiCreatedResponse({ type: OrgMemberDto, description: 'the user was added' })
  @ApiOkResponse({ type: OrgMemberDto, description: 'the membership was updated' })
  @ApiErrors(400, 401, 403, 404, 429)
  @OrgRouteErrors.putMember
  async putMember(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('userId') userId: string,
    @Body() body: PutMemberDto,
    @Res({ passthrough: true }) res: { status(code: number): unknown },
  ): Promise<OrgMemberDto> {
    const { member, created } = await this.orgs.putMember(p, id, userId, body);
    res.status(created ? 201 : 200);
    return OrgMemberDto.from(member);
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @ApiOperation({
    summary:
      "Remove a member, or leave (one's own id); they are removed from the organisation's rooms at once",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'removed' })
  @ApiErrors(400, 401, 403, 404, 429)
  @OrgRouteErrors.removeMember
  async removeMember(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('userId') userId: string,
  ): Promise<void> {
    await this.orgs.removeMember(p, id, userId);
  }
}
