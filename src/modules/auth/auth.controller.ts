import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { ApiErrorCodes, ApiErrors } from '../../common/http/api-errors.js';
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
  @ApiOperation({ summary: 'Register a user and log in', security: [] })
  @Post('register')
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiErrors(400, 429)
  @ApiErrorCodes({
    409: { USERNAME_TAKEN: 'the username is taken', EMAIL_TAKEN: 'the email is registered' },
  })
  async register(@Body() body: RegisterDto): Promise<AuthResponseDto> {
    return AuthResponseDto.from(await this.auth.register(body));
  }

  @Public()
  @ApiOperation({ summary: 'Log in with username or email', security: [] })
  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiErrors(400, 429)
  @ApiErrorCodes({
    401: { INVALID_CREDENTIALS: 'unknown login or wrong password' },
    403: { USER_DISABLED: 'the account is suspended or banned' },
  })
  async login(@Body() body: LoginDto): Promise<AuthResponseDto> {
    return AuthResponseDto.from(await this.auth.login(body.login, body.password, body.deviceToken));
  }

  @Public()
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair', security: [] })
  @Post('refresh')
  @HttpCode(200)
  @ApiOkResponse({
    type: AuthResponseDto,
    description: 'a new pair; the presented refresh token is spent',
  })
  @ApiErrors(400, 429)
  @ApiErrorCodes({
    401: {
      REFRESH_TOKEN_INVALID: 'unknown, expired or revoked refresh token',
      REFRESH_TOKEN_REUSED: 'a spent refresh token: the whole session is revoked',
    },
    403: { USER_DISABLED: 'the account is suspended or banned' },
  })
  async refresh(@Body() body: RefreshTokenDto): Promise<AuthResponseDto> {
    return AuthResponseDto.from(await this.auth.refresh(body.refreshToken));
  }

  @Public()
  @ApiOperation({ summary: 'Log out: revoke the session of a refresh token', security: [] })
  @Post('logout')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'session revoked; its sockets are closed' })
  @ApiErrors(400, 429)
  @ApiErrorCodes({ 401: { REFRESH_TOKEN_INVALID: 'unknown, expired or revoked refresh token' } })
  async logout(@Body() body: RefreshTokenDto): Promise<void> {
    await this.auth.logout(body.refreshToken);
  }

  @ApiBearerAuth()
  @ApiOperation({ summary: 'Get a one-time WebSocket ticket (30 s)' })
  @Post('ws-ticket')
  @HttpCode(200)
  @ApiOkResponse({ type: WsTicketDto })
  @ApiErrors(401, 429)
  async wsTicket(@CurrentUser() principal: Principal): Promise<WsTicketDto> {
    return this.auth.issueWsTicket(principal);
  }
}
