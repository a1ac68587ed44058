import { Body, Controller, Get, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiTags, ApiOperation } from '@nestjs/swagger';
import { ApiErrorCodes, ApiErrors } from '../../common/http/api-errors.js';
import { UuidParam } from '../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import {
  PublicUserDto,
  PublicUserPageDto,
  SearchUsersQueryDto,
  UpdateMeDto,
  UserDto,
} from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @ApiOperation({ summary: 'Find active users by username prefix' })
  @Get()
  @ApiOkResponse({
    type: PublicUserPageDto,
    description: 'active users whose username starts with q (case-insensitive), by username',
  })
  @ApiErrors(400, 401, 429)
  async search(@Query() query: SearchUsersQueryDto): Promise<PublicUserPageDto> {
    const page = await this.users.search(query.q, query.limit, query.cursor);
    return { items: page.items.map(PublicUserDto.from), nextCursor: page.nextCursor };
  }

  @ApiOperation({ summary: "Get the caller's profile" })
  @Get('me')
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(401, 429)
  async me(@CurrentUser() principal: Principal): Promise<UserDto> {
    return UserDto.from(await this.users.getById(principal.userId));
  }

  @ApiOperation({ summary: "Update the caller's profile" })
  @Patch('me')
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(400, 401, 429)
  @ApiErrorCodes({ 409: { USERNAME_TAKEN: 'the username is taken' } })
  async updateMe(@CurrentUser() principal: Principal, @Body() body: UpdateMeDto): Promise<UserDto> {
    return UserDto.from(await this.users.updateProfile(principal.userId, body));
  }

  @ApiOperation({ summary: "Get a user's public profile" })
  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: PublicUserDto, description: 'a user as others see them (no email)' })
  @ApiErrors(400, 401, 404, 429)
  async get(@UuidParam('id') id: string): Promise<PublicUserDto> {
    return PublicUserDto.from(await this.users.profile(id));
  }
}
