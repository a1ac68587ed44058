import { Body, Controller, Delete, HttpCode, Patch, Post } from '@nestjs/common';
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
  CreateDepartmentDto,
  CreatePositionDto,
  DepartmentDto,
  PositionDto,
  UpdateDepartmentDto,
  UpdatePositionDto,
} from './dto/organization.dto.js';
import { OrganizationsService } from './organizations.service.js';
import { OrgRouteErrors } from './organization-errors.decorator.js';

/**
 * An organisation's departments and positions. Every route needs the org owner or admin role,
 * or the org.manage permission (403 PERMISSION_DENIED for other members, 404 for non-members).
 */
@ApiTags('organizations')
@ApiBearerAuth()
@Controller('orgs/:id')
export class OrgStructureController {
  constructor(private readonly orgs: OrganizationsService) {}

  @Post('departments')
  @ApiOperation({ summary: 'Create a department, at the top level or under a parent' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({ type: DepartmentDto })
  @ApiErrors(400, 401, 403, 404, 429)
  @OrgRouteErrors.createDepartment
  async createDepartment(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: CreateDepartmentDto,
  ): Promise<DepartmentDto> {
    return DepartmentDto.from(await this.orgs.createDepartment(p, id, body));
  }

  @Patch('departments/:deptId')
  @ApiOperation({ summary: 'Rename and/or move a department (a move into its own subtree: 409)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'deptId', format: 'uuid' })
  @ApiOkResponse({ type: DepartmentDto })
  @ApiErrors(400, 401, 403, 404, 429)
  @OrgRouteErrors.updateDepartment
  async updateDepartment(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('deptId') deptId: string,
    @Body() body: UpdateDepartmentDto,
  ): Promise<DepartmentDto> {
    return DepartmentDto.from(await this.orgs.updateDepartment(p, id, deptId, body));
  }

  @Delete('departments/:deptId')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Delete a department without sub-departments (else 409 DEPARTMENT_NOT_EMPTY); its members keep no department',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'deptId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors(400, 401, 403, 404, 429)
  @OrgRouteErrors.deleteDepartment
  async deleteDepartment(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('deptId') deptId: string,
  ): Promise<void> {
    await this.orgs.deleteDepartment(p, id, deptId);
  }

  @Post('positions')
  @ApiOperation({ summary: 'Create a position' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({ type: PositionDto })
  @ApiErrors(400, 401, 403, 404, 429)
  @OrgRouteErrors.createPosition
  async createPosition(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @Body() body: CreatePositionDto,
  ): Promise<PositionDto> {
    return PositionDto.from(await this.orgs.createPosition(p, id, body));
  }

  @Patch('positions/:posId')
  @ApiOperation({ summary: 'Rename a position or change its rank' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'posId', format: 'uuid' })
  @ApiOkResponse({ type: PositionDto })
  @ApiErrors(400, 401, 403, 404, 429)
  @OrgRouteErrors.updatePosition
  async updatePosition(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('posId') posId: string,
    @Body() body: UpdatePositionDto,
  ): Promise<PositionDto> {
    return PositionDto.from(await this.orgs.updatePosition(p, id, posId, body));
  }

  @Delete('positions/:posId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a position; its holders keep no position' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'posId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'deleted' })
  @ApiErrors(400, 401, 403, 404, 429)
  async deletePosition(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
    @UuidParam('posId') posId: string,
  ): Promise<void> {
    await this.orgs.deletePosition(p, id, posId);
  }
}
