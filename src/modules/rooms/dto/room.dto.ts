import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination.js';
import { IsOmittable } from '../../../common/http/validation.js';
import {
  ROOM_DESCRIPTION_MAX,
  ROOM_NAME_MAX,
  ROOM_PASSWORD_MAX,
  ROOM_PASSWORD_MIN,
  type Membership,
  type Room,
  type RoomKind,
} from '../domain/room.js';
import { IsCleanText, IsDisplayName } from '../../../common/http/text-hygiene.js';
import { RETENTION_DAYS_MAX } from '../../retention/domain/retention-policy.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RoomDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({
    enum: ['room', 'direct'],
    description: "'direct': a direct conversation (POST /api/dms)",
  })
  kind: RoomKind;
  @ApiProperty({ example: 'general' }) name: string;
  @ApiProperty({ example: 'Anything goes' }) description: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty() isPrivate: boolean;
  // Documented by the organisations module when it is on (OrganizationsProtocolDocs); null otherwise.
  orgId: string | null;
  @ApiProperty({ type: 'integer', example: 3 }) memberCount: number;
  @ApiProperty({
    type: 'integer',
    description: 'seq of the newest message, 0 when empty',
    example: 42,
  })
  lastSeq: number;
  @ApiProperty({
    type: 'integer',
    description: 'eventSeq of the newest room event, 0 when none: the cursor to resume from',
    example: 57,
  })
  lastEventSeq: number;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: RETENTION_DAYS_MAX,
    description:
      "days this room's messages and room events are kept (set by the owner); null: the server's RETENTION_DAYS (unset there too: forever)",
  })
  retentionDays: number | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static from(r: Room): RoomDto {
    return {
      id: r.id,
      kind: r.kind,
      name: r.name,
      description: r.description,
      ownerId: r.ownerId,
      isPrivate: r.isPrivate,
      orgId: r.orgId,
      memberCount: r.memberCount,
      lastSeq: r.lastSeq,
      lastEventSeq: r.lastEventSeq,
      retentionDays: r.retentionDays,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
  }
}

export class CreateRoomDto {
  @ApiProperty({ maxLength: ROOM_NAME_MAX, example: 'general' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(ROOM_NAME_MAX)
  @IsDisplayName()
  name: string;

  @ApiPropertyOptional({ maxLength: ROOM_DESCRIPTION_MAX })
  @IsOmittable()
  @IsString()
  @MaxLength(ROOM_DESCRIPTION_MAX)
  @IsCleanText()
  description?: string;

  @ApiProperty()
  @IsBoolean()
  isPrivate: boolean;

  @ApiPropertyOptional({
    minLength: ROOM_PASSWORD_MIN,
    maxLength: ROOM_PASSWORD_MAX,
    description: 'required when isPrivate',
  })
  @IsOmittable()
  @IsString()
  @MinLength(ROOM_PASSWORD_MIN)
  @MaxLength(ROOM_PASSWORD_MAX)
  password?: string;

  // Documented by the organisations module when it is on (OrganizationsProtocolDocs); 400 when it is off.
  @IsOptional()
  @IsUUID('all', { message: 'orgId must be a UUID' })
  orgId?: string;
}

export class UpdateRoomDto {
  @ApiPropertyOptional({ maxLength: ROOM_NAME_MAX })
  @IsOmittable()
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(ROOM_NAME_MAX)
  @IsDisplayName()
  name?: string;

  @ApiPropertyOptional({ maxLength: ROOM_DESCRIPTION_MAX })
  @IsOmittable()
  @IsString()
  @MaxLength(ROOM_DESCRIPTION_MAX)
  @IsCleanText()
  description?: string;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsBoolean()
  isPrivate?: boolean;

  @ApiPropertyOptional({ minLength: ROOM_PASSWORD_MIN, maxLength: ROOM_PASSWORD_MAX })
  @IsOmittable()
  @IsString()
  @MinLength(ROOM_PASSWORD_MIN)
  @MaxLength(ROOM_PASSWORD_MAX)
  password?: string;

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: RETENTION_DAYS_MAX,
    description:
      "days to keep this room's messages and room events (whole days); null: back to the server's RETENTION_DAYS. 0, negative or not a whole number: 400 RETENTION_DAYS_INVALID, nothing changed",
  })
  // Checked by the retention rule (checkRetentionDays) for its own error code.
  @IsOptional()
  retentionDays?: unknown;
}

export class JoinRoomDto {
  @ApiPropertyOptional({ description: 'required for a private room' })
  @IsOmittable()
  @IsString()
  @MaxLength(ROOM_PASSWORD_MAX)
  password?: string;
}

export class ListRoomsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'case-insensitive substring of the name' })
  @IsOptional()
  @IsString()
  @MaxLength(ROOM_NAME_MAX)
  q?: string;
}

export class MembershipDto {
  @ApiProperty({ format: 'uuid' }) roomId: string;
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['owner', 'member'] }) role: string;
  @ApiProperty({ format: 'date-time' }) joinedAt: string;
  @ApiProperty({
    type: 'integer',
    description: "the member's read marker: seqs up to it are read (read receipts)",
  })
  lastReadSeq: number;

  static from(m: Membership): MembershipDto {
    return {
      lastReadSeq: m.lastReadSeq ?? 0,
      roomId: m.roomId,
      userId: m.userId,
      username: m.username,
      role: m.role,
      joinedAt: m.joinedAt.toISOString(),
    };
  }
}

export class RoomPageDto {
  @ApiProperty({ type: [RoomDto] }) items: RoomDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class MembershipPageDto {
  @ApiProperty({ type: [MembershipDto] }) items: MembershipDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
