import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags, ApiOperation } from '@nestjs/swagger';
import { featuresConfig, type FeaturesConfig } from '../../config/configuration.js';
import { ApiErrors } from '../../common/http/api-errors.js';
import { Public } from '../auth/principal.js';

export class FeatureFlagsDto {
  @ApiProperty() enableOrganizations: boolean;
  @ApiProperty() enableUserRoles: boolean;
  @ApiProperty() enableProxySystem: boolean;
  @ApiProperty() enableBotMessages: boolean;
  @ApiProperty() enableOnlineStatistics: boolean;
  @ApiProperty() enableAdvancedAdmin: boolean;
}

@ApiTags('features')
@Controller('features')
export class FeaturesController {
  constructor(@Inject(featuresConfig.KEY) private readonly features: FeaturesConfig) {}

  @Public()
  @ApiOperation({ summary: "List the enterprise modules' flags", security: [] })
  @Get()
  @ApiOkResponse({ type: FeatureFlagsDto, description: 'which enterprise modules are on' })
  @ApiErrors(429)
  get(): FeatureFlagsDto {
    return { ...this.features.flags };
  }
}
