import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../common/http/api-errors.js';
import { AuthService } from './auth.service.js';
import {
  AuthResponseDto,
  LoginDto,
  RefreshTokenDto,
  RegisterDto,
  WsTicketDto,
} from './dto/auth.dto.js';
import { CurrentUser, Public, type Principal } from './principal.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiErrors(400, 409, 429)
  async register(@Body() body: RegisterDto): Promise<AuthResponseDto> {
    return AuthResponseDto.from(await this.auth.register(body));
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiErrors(400, 401, 403, 429)
  async login(@Body() body: LoginDto): Promise<AuthResponseDto> {
    return AuthResponseDto.from(await this.auth.login(body.login, body.password, body.deviceToken));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({
    type: AuthResponseDto,
    description: 'a new pair; the presented refresh token is spent',
  })
  @ApiErrors(400, 401, 403, 429)
  async refresh(@Body() body: RefreshTokenDto): Promise<AuthResponseDto> {
    return AuthResponseDto.from(await this.auth.refresh(body.refreshToken));
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'session revoked; its sockets are closed' })
  @ApiErrors(400, 401, 429)
  async logout(@Body() body: RefreshTokenDto): Promise<void> {
    await this.auth.logout(body.refreshToken);
  }

  @ApiBearerAuth()
  @Post('ws-ticket')
  @HttpCode(200)
  @ApiOkResponse({ type: WsTicketDto })
  @ApiErrors(401, 429)
  async wsTicket(@CurrentUser() principal: Principal): Promise<WsTicketDto> {
    return this.auth.issueWsTicket(principal);
  }
}
