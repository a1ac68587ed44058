import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Allow, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination.js';
import { IsClearableHttpUrl, IsOmittable } from '../../../common/http/validation.js';
import {
  EXTENSION_KEY_PATTERN,
  EXTENSION_STRING_MAX,
  EXTENSIONS_MAX_BYTES,
  EXTENSIONS_MAX_KEYS,
  type Extensions,
} from '../domain/user-extensions.js';
import {
  publicProfile,
  USERNAME_PATTERN,
  type PublicProfile,
  type User,
  type UserStatus,
} from '../domain/user.js';

const EXTENSIONS_SCHEMA = {
  type: 'object' as const,
  additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
  example: { pronouns: 'she/her', floor: 3, remote: true },
};

export class UserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'alice' }) username: string;
  @ApiProperty({ example: 'alice@example.com' }) email: string;
  @ApiProperty({ type: String, nullable: true }) avatarUrl: string | null;
  @ApiProperty({ enum: ['active', 'disabled', 'banned'] }) status: UserStatus;
  @ApiProperty({ ...EXTENSIONS_SCHEMA, description: 'custom profile fields' })
  extensions: Extensions;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static from(u: User): UserDto {
    return {
      id: u.id,
      username: u.username,
      email: u.email,
      avatarUrl: u.avatarUrl,
      status: u.status,
      extensions: u.extensions,
      createdAt: u.createdAt.toISOString(),
      updatedAt: u.updatedAt.toISOString(),
    };
  }
}

/** Another user as anyone signed in sees them: never the email. */
export class PublicUserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'alice' }) username: string;
  @ApiProperty({ type: String, nullable: true }) avatarUrl: string | null;
  @ApiProperty({ enum: ['active', 'disabled', 'banned'] }) status: UserStatus;
  @ApiProperty({ ...EXTENSIONS_SCHEMA, description: 'custom profile fields' })
  extensions: Extensions;

  static from(u: PublicProfile): PublicUserDto {
    return publicProfile(u);
  }
}

export class PublicUserPageDto {
  @ApiProperty({ type: [PublicUserDto] }) items: PublicUserDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
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

  // Checked by the domain rule (EXTENSIONS_INVALID), which knows the stored fields too.
  @ApiPropertyOptional({
    type: 'object',
    // null (removes the key) rides on the string branch: OpenAPI 3.0 has no null type.
    additionalProperties: {
      oneOf: [{ type: 'string', nullable: true }, { type: 'number' }, { type: 'boolean' }],
    },
    description:
      `merged into the stored fields; a key set to null is removed. At most ${EXTENSIONS_MAX_KEYS} keys ` +
      `matching ${EXTENSION_KEY_PATTERN.source}, values strings (at most ${EXTENSION_STRING_MAX} characters), ` +
      `numbers or booleans, ${EXTENSIONS_MAX_BYTES} bytes in all; else 400 EXTENSIONS_INVALID`,
    example: { pronouns: 'she/her', floor: null },
  })
  @Allow()
  extensions?: unknown;
}

/** Usernames are at most 32 characters: a longer prefix can match no one. */
export const USER_SEARCH_Q_MAX = 32;

export class SearchUsersQueryDto extends PageQueryDto {
  @ApiProperty({
    minLength: 1,
    maxLength: USER_SEARCH_Q_MAX,
    description: 'case-insensitive prefix of the username',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(1)
  @MaxLength(USER_SEARCH_Q_MAX)
  q: string;
}
