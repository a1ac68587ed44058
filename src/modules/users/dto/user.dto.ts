import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { IsClearableHttpUrl, IsOmittable } from '../../../common/http/validation.js';
import { USERNAME_PATTERN, type User, type UserStatus } from '../domain/user.js';

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'alice' }) username: string;
  @ApiProperty({ example: 'alice@example.com' }) email: string;
  @ApiProperty({ type: String, nullable: true }) avatarUrl: string | null;
  @ApiProperty({ enum: ['active', 'disabled', 'banned'] }) status: UserStatus;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static from(u: User): UserDto {
    return {
      id: u.id,
      username: u.username,
      email: u.email,
      avatarUrl: u.avatarUrl,
      status: u.status,
      createdAt: u.createdAt.toISOString(),
      updatedAt: u.updatedAt.toISOString(),
    };
  }
}

export class UpdateMeDto {
  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://example.com/a.png' })
  @IsClearableHttpUrl()
  avatarUrl?: string | null;

  @ApiPropertyOptional({ pattern: USERNAME_PATTERN.source })
  @IsOmittable()
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3-32 letters, digits, _ . or -' })
  username?: string;
}
