import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { PERMISSIONS, type PermissionScope } from '../../../common/authz/permissions.js';
import { IsOmittable } from '../../../common/http/validation.js';
import {
  ROLE_DESCRIPTION_MAX,
  ROLE_NAME_MAX,
  ROLE_NAME_PATTERN,
  SCOPE_TYPES,
  scopeIdOf,
  type Role,
  type RoleAssignment,
  type ScopeType,
} from '../domain/role.js';
import type { EffectivePermissions, HeldRole, RoleSource } from '../roles.service.js';
import { IsCleanText, IsDisplayName } from '../../../common/http/text-hygiene.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const NAME_RULE =
  'name must be 1-64 letters, digits, spaces, _ . or -, starting with a letter or digit';
// Generous: duplicates are folded, unknown names refused by name in the service.
const PERMISSIONS_MAX = 100;

export class RoleDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'support' }) name: string;
  @ApiProperty({ example: 'Answers users in the help rooms' }) description: string;
  @ApiProperty({ description: 'admin, moderator and member are built in and cannot be changed' })
  builtIn: boolean;
  @ApiProperty({ enum: PERMISSIONS, isArray: true, example: ['member.mute', 'member.kick'] })
  permissions: string[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static from(r: Role): RoleDto {
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      builtIn: r.builtIn,
      permissions: [...r.permissions],
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
  }
}

export class RolePageDto {
  @ApiProperty({ type: [RoleDto] }) items: RoleDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class CreateRoleDto {
  @ApiProperty({
    maxLength: ROLE_NAME_MAX,
    example: 'support',
    description: 'unique, case-insensitively (built-in names included)',
  })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(ROLE_NAME_MAX)
  @Matches(ROLE_NAME_PATTERN, { message: NAME_RULE })
  @IsDisplayName()
  name: string;

  @ApiPropertyOptional({ maxLength: ROLE_DESCRIPTION_MAX })
  @IsOmittable()
  @IsString()
  @MaxLength(ROLE_DESCRIPTION_MAX)
  @IsCleanText()
  description?: string;

  @ApiProperty({
    enum: PERMISSIONS,
    isArray: true,
    description: 'names from GET /api/permissions; an unknown one is a 400 naming it',
  })
  @IsArray()
  @ArrayMaxSize(PERMISSIONS_MAX)
  @IsString({ each: true })
  permissions: string[];
}

export class UpdateRoleDto {
  @ApiPropertyOptional({ maxLength: ROLE_NAME_MAX })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(ROLE_NAME_MAX)
  @Matches(ROLE_NAME_PATTERN, { message: NAME_RULE })
  @IsDisplayName()
  name?: string;

  @ApiPropertyOptional({ maxLength: ROLE_DESCRIPTION_MAX })
  @IsOmittable()
  @IsString()
  @MaxLength(ROLE_DESCRIPTION_MAX)
  @IsCleanText()
  description?: string;

  @ApiPropertyOptional({
    enum: PERMISSIONS,
    isArray: true,
    description: 'replaces the whole set',
  })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(PERMISSIONS_MAX)
  @IsString({ each: true })
  permissions?: string[];
}

export class PermissionInfoDto {
  @ApiProperty({ enum: PERMISSIONS }) name: string;
  @ApiProperty({ example: 'Remove members from rooms' }) description: string;
}

export class PermissionCatalogueDto {
  @ApiProperty({ type: [PermissionInfoDto] }) items: PermissionInfoDto[];
  @ApiProperty({ type: String, nullable: true, description: 'always null: one page' })
  nextCursor: null;
}

/** A role assignment as the body of POST (and DELETE) /api/users/:id/roles. */
export class RoleAssignmentRefDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'roleId must be a UUID' })
  roleId: string;

  @ApiProperty({ enum: SCOPE_TYPES })
  @IsIn(SCOPE_TYPES)
  scopeType: ScopeType;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'the organisation or room; required for org and room, left out for global',
  })
  @IsOptional()
  @IsUUID('all', { message: 'scopeId must be a UUID' })
  scopeId?: string;
}

export class ScopeQueryDto {
  @ApiPropertyOptional({ enum: SCOPE_TYPES, default: 'global' })
  @IsOptional()
  @IsIn(SCOPE_TYPES)
  scopeType?: ScopeType;

  @ApiPropertyOptional({ format: 'uuid', description: 'required for org and room' })
  @IsOptional()
  @IsUUID('all', { message: 'scopeId must be a UUID' })
  scopeId?: string;
}

export class RoleAssignmentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ format: 'uuid' }) roleId: string;
  @ApiProperty({ example: 'moderator' }) roleName: string;
  @ApiProperty({ enum: SCOPE_TYPES }) scopeType: ScopeType;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) scopeId: string | null;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'who granted it; null for the CLI',
  })
  createdBy: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static from(a: RoleAssignment): RoleAssignmentDto {
    return {
      id: a.id,
      userId: a.userId,
      roleId: a.roleId,
      roleName: a.roleName,
      scopeType: a.scope.type,
      scopeId: scopeIdOf(a.scope),
      createdBy: a.createdBy,
      createdAt: a.createdAt.toISOString(),
    };
  }
}

export class ScopeDto {
  @ApiProperty({ enum: SCOPE_TYPES }) type: ScopeType;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) id: string | null;

  static from(s: PermissionScope): ScopeDto {
    return { type: s.type, id: scopeIdOf(s) };
  }
}

const SOURCES: RoleSource[] = ['assignment', 'implicit', 'config'];

export class HeldRoleDto {
  @ApiProperty({ format: 'uuid' }) roleId: string;
  @ApiProperty({ example: 'moderator' }) name: string;
  @ApiProperty() builtIn: boolean;
  @ApiProperty({ enum: SCOPE_TYPES, description: 'where the role was assigned' })
  scopeType: ScopeType;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) scopeId: string | null;
  @ApiProperty({
    enum: SOURCES,
    description:
      'assignment: granted through the API or CLI; implicit: member, held by everyone; config: ADMIN_USERNAMES',
  })
  source: RoleSource;

  static from(r: HeldRole): HeldRoleDto {
    return {
      roleId: r.roleId,
      name: r.name,
      builtIn: r.builtIn,
      scopeType: r.scope.type,
      scopeId: scopeIdOf(r.scope),
      source: r.source,
    };
  }
}

export class EffectivePermissionsDto {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ type: ScopeDto, description: 'the scope asked about' }) scope: ScopeDto;
  @ApiProperty({
    type: [HeldRoleDto],
    description: "the roles that apply there: global ones, the scope's own, a room's org's",
  })
  roles: HeldRoleDto[];
  @ApiProperty({ enum: PERMISSIONS, isArray: true, description: 'the union of those roles' })
  permissions: string[];

  static from(e: EffectivePermissions): EffectivePermissionsDto {
    return {
      userId: e.userId,
      scope: ScopeDto.from(e.scope),
      roles: e.roles.map(HeldRoleDto.from),
      permissions: [...e.permissions],
    };
  }
}
