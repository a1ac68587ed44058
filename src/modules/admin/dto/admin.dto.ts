import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
} from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination.js';
import type { UserStatus } from '../../users/domain/user.js';
import { AUDIT_ACTIONS, type AuditAction, type AuditEntry } from '../domain/audit.js';
import { REASON_MAX, type AdminUser, type Mute, type SanctionKind } from '../domain/sanction.js';
import type { Overview } from '../cluster-overview.service.js';
import { IsCleanText } from '../../../common/http/text-hygiene.js';

const ISO = { strict: true, strictSeparator: true };
// Checked in characters by the domain; this only stops absurd payloads early.
const REASON_UNITS = REASON_MAX * 2;

// ---- users ----

export class SanctionDto {
  @ApiProperty({ enum: ['banned', 'disabled'] }) kind: SanctionKind;
  @ApiProperty({ maxLength: REASON_MAX }) reason: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'when it lifts itself; null: until unbanned',
  })
  until: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'who imposed it' })
  by: string | null;
  @ApiProperty({ format: 'date-time', description: 'when it was imposed' }) at: string;
}

export class AdminUserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty() email: string;
  @ApiProperty({ type: String, nullable: true }) avatarUrl: string | null;
  @ApiProperty({ enum: ['active', 'disabled', 'banned'] }) status: UserStatus;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: SanctionDto, nullable: true, description: 'the ban or disable in force' })
  sanction: SanctionDto | null;

  static from(u: AdminUser): AdminUserDto {
    return {
      id: u.id,
      username: u.username,
      email: u.email,
      avatarUrl: u.avatarUrl,
      status: u.status,
      createdAt: u.createdAt.toISOString(),
      updatedAt: u.updatedAt.toISOString(),
      sanction: u.sanction
        ? {
            kind: u.sanction.kind,
            reason: u.sanction.reason,
            until: u.sanction.until?.toISOString() ?? null,
            by: u.sanction.by,
            at: u.sanction.at.toISOString(),
          }
        : null,
    };
  }
}

export class AdminUserPageDto {
  @ApiProperty({ type: [AdminUserDto], description: 'newest accounts first' })
  items: AdminUserDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'part of the username or email (case-insensitive)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ enum: ['active', 'disabled', 'banned'] })
  @IsOptional()
  @IsIn(['active', 'disabled', 'banned'], { message: 'status must be active, disabled or banned' })
  status?: UserStatus;
}

export class SanctionBodyDto {
  @ApiProperty({ minLength: 1, maxLength: REASON_MAX, example: 'spam' })
  @IsString()
  @MinLength(1)
  @MaxLength(REASON_UNITS)
  @IsCleanText()
  reason: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'a future time (at most 10 years ahead) when it lifts itself; omit for until unbanned',
  })
  @IsOptional()
  @IsISO8601(ISO, { message: 'until must be an ISO-8601 date-time' })
  until?: string | null;
}

export class ReasonBodyDto {
  @ApiPropertyOptional({ maxLength: REASON_MAX, description: 'recorded in the audit log' })
  @IsOptional()
  @IsString()
  @MaxLength(REASON_UNITS)
  @IsCleanText()
  reason?: string;
}

// ---- moderation ----

export class MuteBodyDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId: string;

  @ApiProperty({ format: 'date-time', description: 'a future time, at most 366 days ahead' })
  @IsISO8601(ISO, { message: 'until must be an ISO-8601 date-time' })
  until: string;

  @ApiPropertyOptional({ maxLength: REASON_MAX })
  @IsOptional()
  @IsString()
  @MaxLength(REASON_UNITS)
  @IsCleanText()
  reason?: string;
}

export class MuteDto {
  @ApiProperty({ format: 'uuid' }) roomId: string;
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ format: 'date-time' }) until: string;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) by: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static from(m: Mute): MuteDto {
    return {
      roomId: m.roomId,
      userId: m.userId,
      until: m.until.toISOString(),
      reason: m.reason,
      by: m.by,
      createdAt: m.createdAt.toISOString(),
    };
  }
}

/** `message.delete` over the WebSocket. */
export class DeleteMessageWsDto {
  @IsUUID('all', { message: 'roomId must be a UUID' }) roomId: string;
  @IsUUID('all', { message: 'messageId must be a UUID' }) messageId: string;
  @IsOptional() @IsString() @MaxLength(REASON_UNITS) @IsCleanText() reason?: string;
}

// ---- audit and overview ----

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'who acted' })
  @IsOptional()
  @IsUUID('all', { message: 'actorId must be a UUID' })
  actorId?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS, { message: `action must be one of ${AUDIT_ACTIONS.join(', ')}` })
  action?: AuditAction;

  @ApiPropertyOptional({ format: 'date-time', description: 'from this time (inclusive)' })
  @IsOptional()
  @IsISO8601(ISO, { message: 'from must be an ISO-8601 date-time' })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'before this time (exclusive)' })
  @IsOptional()
  @IsISO8601(ISO, { message: 'to must be an ISO-8601 date-time' })
  to?: string;
}

export class AuditEntryDto {
  @ApiProperty({ description: 'ascending with time (a bigint as a string)', example: '42' })
  id: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null: the system' })
  actorId: string | null;
  @ApiProperty({ type: String, nullable: true }) actorUsername: string | null;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action: AuditAction;
  @ApiProperty({ enum: ['user', 'message'] }) targetType: string;
  @ApiProperty({ description: 'the target id (user or message)' }) targetId: string;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'action-specific: roomId, seq, until, previousStatus, via, ...',
  })
  details: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static from(e: AuditEntry): AuditEntryDto {
    return {
      id: e.id,
      actorId: e.actorId,
      actorUsername: e.actorUsername,
      action: e.action,
      targetType: e.targetType,
      targetId: e.targetId,
      reason: e.reason,
      details: e.details,
      createdAt: e.createdAt.toISOString(),
    };
  }
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto], description: 'newest first' }) items: AuditEntryDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class OverviewDto {
  @ApiProperty({ type: 'integer', description: 'accounts, any status' }) users: number;
  @ApiProperty({ type: 'integer' }) rooms: number;
  @ApiProperty({
    type: 'integer',
    description: 'messages stored since 00:00 UTC today (deleted ones included)',
  })
  messagesToday: number;
  @ApiProperty({ type: 'integer', description: 'WebSockets open now on every instance' })
  socketsOpen: number;
  @ApiProperty({
    type: 'integer',
    description: 'instances that reported within the last three heartbeats',
  })
  instances: number;
  @ApiProperty({ format: 'date-time' }) generatedAt: string;

  static from(o: Overview): OverviewDto {
    return { ...o, generatedAt: o.generatedAt.toISOString() };
  }
}
