import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
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
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import {
  CreateProxyGrantDto,
  ListProxyGrantsQueryDto,
  ProxyAuditEntryDto,
  ProxyAuditPageDto,
  ProxyAuditQueryDto,
  ProxyGrantDto,
  ProxyGrantPageDto,
} from './dto/proxy.dto.js';
import { ProxyService } from './proxy.service.js';

@ApiTags('proxies')
@ApiBearerAuth()
@Controller('proxies')
export class ProxyController {
  constructor(private readonly proxies: ProxyService) {}

  @Post()
  @ApiOperation({
    summary: 'Let another user send messages on your behalf',
    description:
      'In every room you are a member of, or the listed ones, from startsAt (default now) until endsAt (default never). ' +
      'Errors: 400 VALIDATION_FAILED (yourself as proxy, bad window, a listed public room you are not in), ' +
      '404 USER_NOT_FOUND (proxy), 404 ROOM_NOT_FOUND (a listed room you cannot see).',
  })
  @ApiCreatedResponse({ type: ProxyGrantDto })
  @ApiErrors(400, 401, 404, 429)
  async grant(
    @CurrentUser() p: Principal,
    @Body() body: CreateProxyGrantDto,
  ): Promise<ProxyGrantDto> {
    return ProxyGrantDto.from(await this.proxies.grant(p, body));
  }

  @Get()
  @ApiOperation({
    summary: 'Grants you gave and grants you hold, newest first',
    description:
      'Revoked and expired grants are listed too, with active false (filter with active).',
  })
  @ApiOkResponse({ type: ProxyGrantPageDto })
  @ApiErrors(400, 401, 429)
  async list(
    @CurrentUser() p: Principal,
    @Query() q: ListProxyGrantsQueryDto,
  ): Promise<ProxyGrantPageDto> {
    const active = q.active === undefined ? undefined : q.active === 'true';
    const page = await this.proxies.list(p, { role: q.role, active }, q.limit, q.cursor);
    return { items: page.items.map(ProxyGrantDto.from), nextCursor: page.nextCursor };
  }

  @Get('audit')
  @ApiOperation({
    summary: 'The audit trail of grants you are party to, newest first',
    description:
      'Grants given, revoked, and every message sent under them. The grantor sees everything done on their behalf; ' +
      'a proxy sees the lines of grants they hold. 404 PROXY_NOT_FOUND: grantId is not a grant of yours.',
  })
  @ApiOkResponse({ type: ProxyAuditPageDto })
  @ApiErrors(400, 401, 404, 429)
  async audit(
    @CurrentUser() p: Principal,
    @Query() q: ProxyAuditQueryDto,
  ): Promise<ProxyAuditPageDto> {
    const page = await this.proxies.audit(p, q.grantId, q.limit, q.cursor);
    return { items: page.items.map(ProxyAuditEntryDto.from), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({ summary: 'One grant; its grantor and proxy only (others: 404 PROXY_NOT_FOUND)' })
  @ApiOkResponse({ type: ProxyGrantDto })
  @ApiErrors(400, 401, 404, 429)
  async get(@CurrentUser() p: Principal, @UuidParam('id') id: string): Promise<ProxyGrantDto> {
    return ProxyGrantDto.from(await this.proxies.get(p, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOperation({
    summary: 'Revoke a grant (grantor) or renounce it (proxy)',
    description:
      'Effective at once on every instance. Revoking a revoked grant answers 204 again and changes nothing. ' +
      'Anyone else: 404 PROXY_NOT_FOUND.',
  })
  @ApiNoContentResponse({ description: 'revoked' })
  @ApiErrors(400, 401, 404, 429)
  async revoke(@CurrentUser() p: Principal, @UuidParam('id') id: string): Promise<void> {
    await this.proxies.revoke(p, id);
  }
}
