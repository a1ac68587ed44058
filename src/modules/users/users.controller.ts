import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../../common/http/api-errors.js';
import { CurrentUser, type Principal } from '../auth/principal.js';
import { UpdateMeDto, UserDto } from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(401, 429)
  async me(@CurrentUser() principal: Principal): Promise<UserDto> {
    return UserDto.from(await this.users.getById(principal.userId));
  }

  @Patch('me')
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(400, 401, 409, 429)
  async updateMe(@CurrentUser() principal: Principal, @Body() body: UpdateMeDto): Promise<UserDto> {
    return UserDto.from(await this.users.updateProfile(principal.userId, body));
  }
}
