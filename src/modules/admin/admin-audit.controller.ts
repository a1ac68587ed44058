import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../../common/authz/require-permission.js';
import { AdminErrors } from './admin-errors.js';
import { AuditService } from './audit.service.js';
import { ClusterOverviewService } from './cluster-overview.service.js';
import { AuditEntryDto, AuditPageDto, AuditQueryDto, OverviewDto } from './dto/admin.dto.js';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin')
export class AdminAuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly overviews: ClusterOverviewService,
  ) {}

  @Get('audit')
  @RequirePermission('audit.read')
  @ApiOperation({
    summary: 'The audit log of admin and moderation actions (audit.read), newest first',
  })
  @ApiOkResponse({ type: AuditPageDto })
  @AdminErrors({ 400: 'Validation failed (VALIDATION_FAILED), e.g. from after to' })
  async list(@Query() q: AuditQueryDto): Promise<AuditPageDto> {
    const page = await this.audit.list(
      {
        actorId: q.actorId,
        action: q.action,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
      },
      q.limit,
      q.cursor,
    );
    return { items: page.items.map(AuditEntryDto.from), nextCursor: page.nextCursor };
  }

  @Get('overview')
  @RequirePermission('audit.read')
  @ApiOperation({
    summary: 'The service at a glance (audit.read)',
    description:
      'socketsOpen is cluster-wide: the sum over instances that reported within three heartbeats.',
  })
  @ApiOkResponse({ type: OverviewDto })
  @AdminErrors()
  async overview(): Promise<OverviewDto> {
    return OverviewDto.from(await this.overviews.overview());
  }
}
