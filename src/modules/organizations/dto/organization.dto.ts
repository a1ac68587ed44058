import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination.js';
import { IsOmittable } from '../../../common/http/validation.js';
import type { DepartmentNode } from '../domain/department-tree.js';
import type { PositionCount } from '../domain/organization.repository.js';
import {
  DEPARTMENT_NAME_MAX,
  ORG_NAME_MAX,
  ORG_ROLES,
  POSITION_NAME_MAX,
  POSITION_RANK_MAX,
  POSITION_RANK_MIN,
  type Department,
  type OrgMember,
  type OrgRole,
  type Organization,
  type Position,
} from '../domain/organization.js';
import type { OrgTree } from '../organizations.service.js';
import { IsDisplayName } from '../../../common/http/text-hygiene.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const toBoolQuery = ({ value }: { value: unknown }): unknown =>
  value === 'true' ? true : value === 'false' ? false : value;

// ---- organisations ----

export class CreateOrgDto {
  @ApiProperty({ minLength: 1, maxLength: ORG_NAME_MAX, example: 'Acme Corp' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(ORG_NAME_MAX)
  @IsDisplayName()
  name: string;
}

export class OrgDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'Acme Corp' }) name: string;
  @ApiProperty({ format: 'uuid' }) createdBy: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: 'integer', example: 12 }) memberCount: number;
  @ApiProperty({
    enum: ORG_ROLES,
    nullable: true,
    description: "the caller's org role; null for an org.manage holder who is not a member",
  })
  myRole: OrgRole | null;

  static from(o: Organization, myRole: OrgRole | null): OrgDto {
    return {
      id: o.id,
      name: o.name,
      createdBy: o.createdBy,
      createdAt: o.createdAt.toISOString(),
      memberCount: o.memberCount,
      myRole,
    };
  }
}

export class OrgPageDto {
  @ApiProperty({ type: [OrgDto] }) items: OrgDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

// ---- departments ----

export class CreateDepartmentDto {
  @ApiProperty({ minLength: 1, maxLength: DEPARTMENT_NAME_MAX, example: 'Engineering' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(DEPARTMENT_NAME_MAX)
  @IsDisplayName()
  name: string;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'the parent department (of the same organisation); omitted or null: top level',
  })
  @IsOptional()
  @IsUUID('all', { message: 'parentId must be a UUID' })
  parentId?: string | null;
}

export class UpdateDepartmentDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: DEPARTMENT_NAME_MAX })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(DEPARTMENT_NAME_MAX)
  @IsDisplayName()
  name?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description:
      'moves the department under this one; null moves it to the top level. Under itself or one of its sub-departments: 409 DEPARTMENT_CYCLE',
  })
  @IsOptional()
  @IsUUID('all', { message: 'parentId must be a UUID' })
  parentId?: string | null;
}

export class DepartmentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) orgId: string;
  @ApiProperty({ example: 'Engineering' }) name: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) parentId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static from(d: Department): DepartmentDto {
    return {
      id: d.id,
      orgId: d.orgId,
      name: d.name,
      parentId: d.parentId,
      createdAt: d.createdAt.toISOString(),
    };
  }
}

// ---- positions ----

export class CreatePositionDto {
  @ApiProperty({ minLength: 1, maxLength: POSITION_NAME_MAX, example: 'Team lead' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(POSITION_NAME_MAX)
  @IsDisplayName()
  name: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: POSITION_RANK_MIN,
    maximum: POSITION_RANK_MAX,
    default: 0,
    description: 'lists order positions by rank, lowest first',
  })
  @IsOmittable()
  @IsInt()
  @Min(POSITION_RANK_MIN)
  @Max(POSITION_RANK_MAX)
  rank?: number;
}

export class UpdatePositionDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: POSITION_NAME_MAX })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(POSITION_NAME_MAX)
  @IsDisplayName()
  name?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: POSITION_RANK_MIN, maximum: POSITION_RANK_MAX })
  @IsOmittable()
  @IsInt()
  @Min(POSITION_RANK_MIN)
  @Max(POSITION_RANK_MAX)
  rank?: number;
}

export class PositionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) orgId: string;
  @ApiProperty({ example: 'Team lead' }) name: string;
  @ApiProperty({ type: 'integer', example: 10 }) rank: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static from(p: Position): PositionDto {
    return {
      id: p.id,
      orgId: p.orgId,
      name: p.name,
      rank: p.rank,
      createdAt: p.createdAt.toISOString(),
    };
  }
}

// ---- members ----

export class PutMemberDto {
  @ApiPropertyOptional({
    enum: ORG_ROLES,
    description:
      'omitted: unchanged (member for a new member). Granting or revoking owner needs an owner',
  })
  @IsOmittable()
  @IsIn(ORG_ROLES)
  role?: OrgRole;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'a department of this organisation; null: none; omitted: unchanged',
  })
  @IsOptional()
  @IsUUID('all', { message: 'departmentId must be a UUID' })
  departmentId?: string | null;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'a position of this organisation; null: none; omitted: unchanged',
  })
  @IsOptional()
  @IsUUID('all', { message: 'positionId must be a UUID' })
  positionId?: string | null;
}

export class OrgMemberDto {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ORG_ROLES }) role: OrgRole;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) departmentId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) positionId: string | null;
  @ApiProperty({ format: 'date-time' }) joinedAt: string;

  static from(m: OrgMember): OrgMemberDto {
    return {
      userId: m.userId,
      username: m.username,
      role: m.role,
      departmentId: m.departmentId,
      positionId: m.positionId,
      joinedAt: m.joinedAt.toISOString(),
    };
  }
}

export class OrgMemberPageDto {
  @ApiProperty({ type: [OrgMemberDto] }) items: OrgMemberDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class ListOrgMembersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'only members of this department' })
  @IsOptional()
  @IsUUID('all', { message: 'departmentId must be a UUID' })
  departmentId?: string;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'with departmentId: members of its sub-departments (any depth) too',
  })
  @IsOptional()
  @Transform(toBoolQuery)
  @IsBoolean({ message: 'recursive must be true or false' })
  recursive?: boolean;
}

// ---- tree ----

export class DepartmentNodeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) parentId: string | null;
  @ApiProperty({ type: 'integer', description: 'members whose department is this one' })
  memberCount: number;
  @ApiProperty({ type: 'integer', description: 'members of this department and all below it' })
  totalMemberCount: number;
  @ApiProperty({ type: () => [DepartmentNodeDto], description: 'sub-departments, by name' })
  children: DepartmentNodeDto[];

  static from(n: DepartmentNode): DepartmentNodeDto {
    // Iterative: a deep tree must not exhaust the stack here either.
    const root = DepartmentNodeDto.shallow(n);
    const stack: [DepartmentNode, DepartmentNodeDto][] = [[n, root]];
    while (stack.length > 0) {
      const [src, dst] = stack.pop()!;
      for (const c of src.children) {
        const child = DepartmentNodeDto.shallow(c);
        dst.children.push(child);
        stack.push([c, child]);
      }
    }
    return root;
  }

  private static shallow(n: DepartmentNode): DepartmentNodeDto {
    return {
      id: n.id,
      name: n.name,
      parentId: n.parentId,
      memberCount: n.memberCount,
      totalMemberCount: n.totalMemberCount,
      children: [],
    };
  }
}

export class PositionCountDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: 'integer' }) rank: number;
  @ApiProperty({ type: 'integer', description: 'members holding this position' })
  memberCount: number;

  static from(p: PositionCount): PositionCountDto {
    return { id: p.id, name: p.name, rank: p.rank, memberCount: p.memberCount };
  }
}

export class OrgTreeDto {
  @ApiProperty({ type: OrgDto }) org: OrgDto;
  @ApiProperty({ type: [DepartmentNodeDto], description: 'top-level departments, by name' })
  departments: DepartmentNodeDto[];
  @ApiProperty({ type: [PositionCountDto], description: 'by rank, then name' })
  positions: PositionCountDto[];
  @ApiProperty({ type: 'integer', description: 'members in no department' })
  unassignedMemberCount: number;

  static from(t: OrgTree): OrgTreeDto {
    return {
      org: OrgDto.from(t.org, t.role),
      departments: t.departments.map((d) => DepartmentNodeDto.from(d)),
      positions: t.positions.map((p) => PositionCountDto.from(p)),
      unassignedMemberCount: t.unassignedMemberCount,
    };
  }
}
