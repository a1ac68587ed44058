import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
} from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination.js';
import { IsOmittable } from '../../../common/http/validation.js';
import {
  GRANT_ROOMS_MAX,
  INSTANT_PATTERN,
  type AuditAction,
  type AuditEntry,
  type ProxyGrant,
} from '../domain/proxy-grant.js';

const INSTANT_MESSAGE = (field: string) =>
  `${field} must be an ISO-8601 date-time with a time zone, e.g. 2030-01-31T09:00:00Z`;

export class CreateProxyGrantDto {
  @ApiProperty({ format: 'uuid', description: 'who may send on your behalf' })
  @IsUUID('all', { message: 'proxyUserId must be a UUID' })
  proxyUserId: string;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    nullable: true,
    minItems: 1,
    maxItems: GRANT_ROOMS_MAX,
    description:
      'rooms (you are a member of) the grant covers; left out or null: every room you are a member of, at the time of each send',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1, { message: 'roomIds must list at least 1 room (leave it out for all rooms)' })
  @ArrayMaxSize(GRANT_ROOMS_MAX)
  @ArrayUnique({ message: 'roomIds must not repeat a room' })
  @IsUUID('all', { each: true, message: 'each of roomIds must be a UUID' })
  roomIds?: string[] | null;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'when the grant starts (default: now)',
    example: '2030-01-31T09:00:00Z',
  })
  @IsOmittable()
  @IsString()
  @MaxLength(40)
  @Matches(INSTANT_PATTERN, { message: INSTANT_MESSAGE('startsAt') })
  startsAt?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'when it ends, exclusive; after startsAt and in the future (default: never)',
    example: '2030-02-28T18:00:00Z',
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @Matches(INSTANT_PATTERN, { message: INSTANT_MESSAGE('endsAt') })
  endsAt?: string | null;
}

export class ProxyGrantDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid', description: 'who is represented' }) grantorId: string;
  @ApiProperty() grantorUsername: string;
  @ApiProperty({ format: 'uuid', description: 'who may send as the grantor' }) proxyUserId: string;
  @ApiProperty() proxyUsername: string;
  @ApiProperty({
    type: [String],
    format: 'uuid',
    nullable: true,
    description: 'null: every room the grantor is a member of',
  })
  roomIds: string[] | null;
  @ApiProperty({ format: 'date-time' }) startsAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'exclusive' })
  endsAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt: string | null;
  @ApiProperty({ description: 'usable now: not revoked, and now within [startsAt, endsAt)' })
  active: boolean;

  static from(g: ProxyGrant): ProxyGrantDto {
    return {
      id: g.id,
      grantorId: g.grantorId,
      grantorUsername: g.grantorUsername,
      proxyUserId: g.proxyUserId,
      proxyUsername: g.proxyUsername,
      roomIds: g.roomIds,
      startsAt: g.startsAt.toISOString(),
      endsAt: g.endsAt?.toISOString() ?? null,
      createdAt: g.createdAt.toISOString(),
      revokedAt: g.revokedAt?.toISOString() ?? null,
      active: g.active,
    };
  }
}

export class ProxyGrantPageDto {
  @ApiProperty({ type: [ProxyGrantDto], description: 'newest first' }) items: ProxyGrantDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class ListProxyGrantsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    enum: ['granted', 'received'],
    description: 'granted: by you; received: to you; left out: both',
  })
  @IsOptional()
  @IsIn(['granted', 'received'])
  role?: 'granted' | 'received';

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'true: usable grants only; false: revoked, expired or not yet started only',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  active?: 'true' | 'false';
}

const AUDIT_ACTIONS: AuditAction[] = ['grant.created', 'grant.revoked', 'message.send'];

export class ProxyAuditEntryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) grantId: string | null;
  @ApiProperty({ format: 'uuid' }) grantorId: string;
  @ApiProperty({ format: 'uuid' }) proxyUserId: string;
  @ApiProperty({
    format: 'uuid',
    description:
      'who acted: the proxy for a send, the grantor or the renouncing proxy for a revocation',
  })
  actorId: string;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action: AuditAction;
  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['rest', 'ws', 'bot'],
    description: 'how a message came in',
  })
  via: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) roomId: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) messageId: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) seq: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static from(e: AuditEntry): ProxyAuditEntryDto {
    return { ...e, createdAt: e.createdAt.toISOString() };
  }
}

export class ProxyAuditPageDto {
  @ApiProperty({ type: [ProxyAuditEntryDto], description: 'newest first' })
  items: ProxyAuditEntryDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class ProxyAuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'only this grant (one you are party to)' })
  @IsOptional()
  @IsUUID('all', { message: 'grantId must be a UUID' })
  grantId?: string;
}
