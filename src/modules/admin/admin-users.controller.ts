import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../../common/authz/require-permission.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { AdminErrors } from './admin-errors.js';
import {
  AdminUserDto,
  AdminUserPageDto,
  ListUsersQueryDto,
  ReasonBodyDto,
  SanctionBodyDto,
} from './dto/admin.dto.js';
import { UserSanctionsService } from './user-sanctions.service.js';

const SELF = 'Acting on your own account (ADMIN_SELF_ACTION)';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly sanctions: UserSanctionsService) {}

  @Get()
  @RequirePermission('user.ban')
  @ApiOperation({ summary: 'Users with their sanction (user.ban)' })
  @ApiOkResponse({ type: AdminUserPageDto })
  @AdminErrors()
  async list(@Query() query: ListUsersQueryDto): Promise<AdminUserPageDto> {
    const page = await this.sanctions.list(
      { q: query.q, status: query.status },
      query.limit,
      query.cursor,
    );
    return { items: page.items.map(AdminUserDto.from), nextCursor: page.nextCursor };
  }

  @Post(':id/ban')
  @HttpCode(200)
  @RequirePermission('user.ban')
  @ApiOperation({
    summary: 'Ban an account (user.ban)',
    description:
      'Revokes every session and refresh token and closes its sockets (4401) on every instance; ' +
      'its access tokens get 403 USER_DISABLED at once. With `until` it lifts itself then.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AdminUserDto })
  @AdminErrors({ 404: 'No such user (USER_NOT_FOUND)', 409: SELF })
  async ban(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: SanctionBodyDto,
  ): Promise<AdminUserDto> {
    return AdminUserDto.from(await this.sanctions.impose(p.userId, id, 'banned', body));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @RequirePermission('user.ban')
  @ApiOperation({ summary: 'Disable an account (user.ban); same effects as a ban' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AdminUserDto })
  @AdminErrors({ 404: 'No such user (USER_NOT_FOUND)', 409: SELF })
  async disable(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: SanctionBodyDto,
  ): Promise<AdminUserDto> {
    return AdminUserDto.from(await this.sanctions.impose(p.userId, id, 'disabled', body));
  }

  @Post(':id/unban')
  @HttpCode(200)
  @RequirePermission('user.ban')
  @ApiOperation({
    summary: 'Lift a ban or disable (user.ban)',
    description: 'The account is active again; its user logs in anew (old sessions stay revoked).',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AdminUserDto })
  @AdminErrors({
    404: 'No such user (USER_NOT_FOUND)',
    409: `${SELF}, or the user is neither banned nor disabled (USER_NOT_SANCTIONED)`,
  })
  async unban(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: ReasonBodyDto,
  ): Promise<AdminUserDto> {
    return AdminUserDto.from(await this.sanctions.lift(p.userId, id, body.reason));
  }
}
