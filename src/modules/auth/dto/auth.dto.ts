import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PASSWORD_MAX, PASSWORD_MIN, USERNAME_PATTERN } from '../../users/domain/user.js';
import { UserDto } from '../../users/dto/user.dto.js';
import type { AuthResult } from '../auth.service.js';

export class RegisterDto {
  @ApiProperty({ pattern: USERNAME_PATTERN.source, example: 'alice' })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3-32 letters, digits, _ . or -' })
  username: string;

  @ApiProperty({ example: 'alice@example.com' })
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;

  @ApiProperty({
    minLength: PASSWORD_MIN,
    maxLength: PASSWORD_MAX,
    example: 'correct horse battery',
  })
  @IsString()
  @MinLength(PASSWORD_MIN)
  @MaxLength(PASSWORD_MAX)
  password: string;
}

export class LoginDto {
  @ApiProperty({ description: 'username or email', example: 'alice' })
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  login: string;

  @ApiProperty({ example: 'correct horse battery' })
  @IsString()
  @MinLength(1)
  @MaxLength(PASSWORD_MAX)
  password: string;

  @ApiPropertyOptional({
    description:
      'the deviceToken an earlier register or login of this account gave this client: failed ' +
      'logins of others on the account do not slow this client down',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  deviceToken?: string;
}

export class RefreshTokenDto {
  @ApiProperty({ description: 'the refresh token from register, login or a previous refresh' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  refreshToken: string;
}

export class AuthResponseDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty({ description: 'JWT for Authorization: Bearer' }) accessToken: string;
  @ApiProperty({ description: 'opaque, single use; rotate with /api/auth/refresh' })
  refreshToken: string;
  @ApiProperty({ type: 'integer', description: 'access token lifetime, seconds', example: 900 })
  expiresIn: number;
  @ApiPropertyOptional({
    description:
      'register and login only: keep it and send it with later logins of this account ' +
      '(a trusted device is not slowed down by others guessing its password)',
  })
  deviceToken?: string;

  static from(r: AuthResult): AuthResponseDto {
    return {
      user: UserDto.from(r.user),
      accessToken: r.accessToken,
      refreshToken: r.refreshToken,
      expiresIn: r.expiresIn,
      ...(r.deviceToken === undefined ? {} : { deviceToken: r.deviceToken }),
    };
  }
}

export class WsTicketDto {
  @ApiProperty({ description: 'one-time ticket for /ws?ticket=' }) ticket: string;
  @ApiProperty({ type: 'integer', example: 30 }) expiresIn: number;
}
