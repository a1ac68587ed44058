import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { RequirePermission } from '../../common/authz/require-permission.js';
import { ApiErrors } from '../../common/http/api-errors.js';
import { PageQueryDto } from '../../common/http/pagination.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import {
  CreateRoleDto,
  PermissionCatalogueDto,
  RoleDto,
  RolePageDto,
  UpdateRoleDto,
} from './dto/role.dto.js';
import { RolesService } from './roles.service.js';
import { RoleRouteErrors } from './role-errors.decorator.js';

@ApiTags('roles')
@ApiBearerAuth()
@Controller()
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @Get('roles')
  @ApiOperation({ summary: 'Every role, built-ins first, then custom roles by name' })
  @ApiOkResponse({ type: RolePageDto })
  @ApiErrors(400, 401, 429)
  async list(@Query() q: PageQueryDto): Promise<RolePageDto> {
    const page = await this.roles.list(q.limit, q.cursor);
    return { items: page.items.map(RoleDto.from), nextCursor: page.nextCursor };
  }

  @Post('roles')
  @RequirePermission('role.manage')
  @ApiOperation({ summary: 'Create a custom role (global role.manage)' })
  @ApiCreatedResponse({ type: RoleDto })
  @ApiErrors(400, 401, 403, 429)
  @RoleRouteErrors.create
  async create(@Body() body: CreateRoleDto): Promise<RoleDto> {
    return RoleDto.from(await this.roles.create(body));
  }

  @Patch('roles/:id')
  @RequirePermission('role.manage')
  @ApiOperation({
    summary: 'Change a custom role (global role.manage); built-ins: 403 ROLE_BUILT_IN',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: RoleDto })
  @ApiErrors(400, 401, 403, 404, 429)
  @RoleRouteErrors.update
  async update(@UuidParam('id') id: string, @Body() body: UpdateRoleDto): Promise<RoleDto> {
    return RoleDto.from(await this.roles.update(id, body));
  }

  @Delete('roles/:id')
  @HttpCode(204)
  @RequirePermission('role.manage')
  @ApiOperation({
    summary: 'Delete a custom role and its assignments (global role.manage); built-ins: 403',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'the role and every assignment of it are gone' })
  @ApiErrors(400, 401, 403, 404, 429)
  async delete(@UuidParam('id') id: string): Promise<void> {
    await this.roles.delete(id);
  }

  @Get('permissions')
  @ApiOperation({ summary: 'The permission catalogue roles are made of' })
  @ApiOkResponse({ type: PermissionCatalogueDto })
  @ApiErrors(401, 429)
  permissions(): PermissionCatalogueDto {
    return { items: this.roles.catalogue(), nextCursor: null };
  }
}
