import { Controller, Delete, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Errors } from '../../common/errors/domain-error.js';
import { ApiErrors } from '../../common/http/api-errors.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { createValidationPipe } from '../../common/http/validation.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { scopeOf, SCOPE_TYPES } from './domain/role.js';
import {
  EffectivePermissionsDto,
  RoleAssignmentDto,
  RoleAssignmentRefDto,
  ScopeQueryDto,
} from './dto/role.dto.js';
import { RolesService } from './roles.service.js';

/**
 * Role assignments of a user. Who may grant or revoke is decided by the service (role.manage in
 * the assignment's scope, plus every permission the role carries), so no route-level guard.
 */
@ApiTags('roles')
@ApiBearerAuth()
@Controller('users')
export class UserRolesController {
  private readonly validate = createValidationPipe();

  constructor(private readonly roles: RolesService) {}

  @Post(':id/roles')
  @ApiOperation({
    summary: 'Assign a role to a user globally, in an organisation or in a room',
    description:
      'Needs role.manage in that scope and every permission the role carries there. Assigning a role the user already holds there answers 200 with the existing assignment.',
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'the user' })
  @ApiBody({ type: RoleAssignmentRefDto })
  @ApiCreatedResponse({ type: RoleAssignmentDto, description: 'assigned' })
  @ApiOkResponse({ type: RoleAssignmentDto, description: 'the user already held it there' })
  @ApiErrors(400, 401, 403, 404, 429)
  async assign(
    @CurrentUser() p: Principal,
    @UuidParam('id') userId: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RoleAssignmentDto> {
    const ref = await this.ref(req.body);
    const { assignment, created } = await this.roles.assign(
      p.userId,
      userId,
      ref.roleId,
      scopeOf(ref.scopeType, ref.scopeId),
    );
    res.status(created ? 201 : 200);
    return RoleAssignmentDto.from(assignment);
  }

  @Delete(':id/roles')
  @HttpCode(204)
  @ApiOperation({
    summary: "Revoke a user's role in a scope",
    description:
      'The assignment is named in the JSON body, or (for clients that cannot send a DELETE body) in the query string; the body wins when both are given. Same permissions as assigning.',
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'the user' })
  @ApiBody({ type: RoleAssignmentRefDto, required: false })
  @ApiQuery({ name: 'roleId', required: false, schema: { type: 'string', format: 'uuid' } })
  @ApiQuery({ name: 'scopeType', required: false, enum: SCOPE_TYPES })
  @ApiQuery({ name: 'scopeId', required: false, schema: { type: 'string', format: 'uuid' } })
  @ApiNoContentResponse({ description: 'revoked' })
  @ApiErrors(400, 401, 403, 404, 429)
  async revoke(
    @CurrentUser() p: Principal,
    @UuidParam('id') userId: string,
    @Req() req: Request,
  ): Promise<void> {
    const body: unknown = req.body;
    const hasBody = typeof body === 'object' && body !== null && Object.keys(body).length > 0;
    const ref = await this.ref(hasBody ? body : { ...req.query });
    await this.roles.revoke(p.userId, userId, ref.roleId, scopeOf(ref.scopeType, ref.scopeId));
  }

  @Get(':id/permissions')
  @ApiOperation({
    summary: "A user's effective permissions in a scope",
    description:
      "The union of the roles that apply there (global ones, the scope's own, a room's organisation's). Oneself, or role.manage in that scope.",
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'the user' })
  @ApiOkResponse({ type: EffectivePermissionsDto })
  @ApiErrors(400, 401, 403, 404, 429)
  async permissions(
    @CurrentUser() p: Principal,
    @UuidParam('id') userId: string,
    @Query() q: ScopeQueryDto,
  ): Promise<EffectivePermissionsDto> {
    const scope = scopeOf(q.scopeType ?? 'global', q.scopeId);
    return EffectivePermissionsDto.from(await this.roles.permissionsOf(p.userId, userId, scope));
  }

  /** The assignment named by a body or a query, validated like any body. */
  private async ref(source: unknown): Promise<RoleAssignmentRefDto> {
    if (
      source !== undefined &&
      (typeof source !== 'object' || source === null || Array.isArray(source))
    )
      throw Errors.validation('VALIDATION_FAILED', 'the body must be a JSON object');
    return (await this.validate.transform(source ?? {}, {
      type: 'body',
      metatype: RoleAssignmentRefDto,
      data: '',
    })) as RoleAssignmentRefDto;
  }
}
