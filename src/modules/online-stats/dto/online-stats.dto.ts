import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsUUID, Matches } from 'class-validator';
import type { DepartmentOnline } from '../domain/department-rollup.js';
import {
  GRANULARITIES,
  periodLabel,
  toSeconds,
  type Granularity,
  type OnlineTime,
} from '../domain/online-time.js';
import type { OnlineMember } from '../domain/session-ledger.js';

// A date (UTC midnight) or a date-time with its time zone: never a local time the server would
// have to guess.
const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const instantRule = (field: string) =>
  `${field} must be an ISO-8601 date (2025-01-31) or date-time with a time zone (2025-01-31T10:00:00Z)`;

class RangeQueryDto {
  @ApiPropertyOptional({
    description:
      'start of the range, inclusive (ISO-8601; a date means 00:00 UTC); default: a week before `to`',
    example: '2025-01-01',
  })
  @IsOptional()
  @Matches(INSTANT, { message: instantRule('from') })
  @IsISO8601({ strict: true }, { message: instantRule('from') })
  from?: string;

  @ApiPropertyOptional({
    description: 'end of the range, exclusive; default: now',
    example: '2025-01-08',
  })
  @IsOptional()
  @Matches(INSTANT, { message: instantRule('to') })
  @IsISO8601({ strict: true }, { message: instantRule('to') })
  to?: string;
}

export class UserOnlineQueryDto extends RangeQueryDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'whose online time; default: the caller. Others need stats.read',
  })
  @IsOptional()
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId?: string;

  @ApiPropertyOptional({
    enum: GRANULARITIES,
    default: 'day',
    description: 'UTC days (range up to 366 days) or hours (up to 31 days)',
  })
  @IsOptional()
  @IsIn(GRANULARITIES)
  groupBy?: Granularity;
}

export class OrgOnlineQueryDto extends RangeQueryDto {
  @ApiPropertyOptional({ enum: ['department'], default: 'department' })
  @IsOptional()
  @IsIn(['department'])
  groupBy?: 'department';
}

export class OnlinePeriodDto {
  @ApiProperty({
    example: '2025-01-31',
    description: '`YYYY-MM-DD` (day) or `YYYY-MM-DDTHH` (hour), UTC',
  })
  period: string;
  @ApiProperty({ format: 'date-time', description: 'start of the period (UTC)' })
  start: string;
  @ApiProperty({
    type: 'integer',
    example: 5400,
    description: 'seconds online within the period and the range (several devices count once)',
  })
  seconds: number;
}

export class UserOnlineDto {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ enum: GRANULARITIES }) groupBy: Granularity;
  @ApiProperty({ type: 'integer', description: 'seconds online within the range' })
  totalSeconds: number;
  @ApiProperty({ type: [OnlinePeriodDto], description: 'every period of the range, in order' })
  items: OnlinePeriodDto[];

  static from(r: {
    userId: string;
    from: Date;
    to: Date;
    groupBy: Granularity;
    totalMs: number;
    periods: OnlineTime['periods'];
  }): UserOnlineDto {
    return {
      userId: r.userId,
      from: r.from.toISOString(),
      to: r.to.toISOString(),
      groupBy: r.groupBy,
      totalSeconds: toSeconds(r.totalMs),
      items: r.periods.map((p) => ({
        period: periodLabel(p.start, r.groupBy),
        start: p.start.toISOString(),
        seconds: toSeconds(p.ms),
      })),
    };
  }
}

export class DepartmentOnlineDto {
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'null: unassigned' })
  departmentId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  parentId: string | null;
  @ApiProperty({ example: 'Engineering', description: '`unassigned` for members in no department' })
  name: string;
  @ApiProperty({
    type: 'integer',
    description: 'members directly in this department (not its sub-departments)',
  })
  memberCount: number;
  @ApiProperty({
    type: 'integer',
    description: 'of those, how many were online at all in the range',
  })
  activeMembers: number;
  @ApiProperty({
    type: 'integer',
    description:
      "sum over the members of each member's own online seconds (their devices count once)",
  })
  seconds: number;
}

export class OrgOnlineDto {
  @ApiProperty({ format: 'uuid' }) orgId: string;
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ enum: ['department'] }) groupBy: 'department';
  @ApiProperty({ type: 'integer' }) totalSeconds: number;
  @ApiProperty({
    type: [DepartmentOnlineDto],
    description: 'every department of the organisation by name, then `unassigned`',
  })
  items: DepartmentOnlineDto[];

  static from(r: { orgId: string; from: Date; to: Date; items: DepartmentOnline[] }): OrgOnlineDto {
    const items = r.items.map((d) => ({
      departmentId: d.departmentId,
      parentId: d.parentId,
      name: d.name,
      memberCount: d.memberCount,
      activeMembers: d.activeMembers,
      seconds: toSeconds(d.ms),
    }));
    return {
      orgId: r.orgId,
      from: r.from.toISOString(),
      to: r.to.toISOString(),
      groupBy: 'department',
      totalSeconds: toSeconds(r.items.reduce((s, d) => s + d.ms, 0)),
      items,
    };
  }
}

export class OnlineMemberDto {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() username: string;
  @ApiProperty({
    format: 'date-time',
    description: 'since when the user has had a connection open',
  })
  since: string;

  static from(m: OnlineMember): OnlineMemberDto {
    return { userId: m.userId, username: m.username, since: m.since.toISOString() };
  }
}

export class RoomPresenceDto {
  @ApiProperty({ format: 'uuid' }) roomId: string;
  @ApiProperty({
    type: [OnlineMemberDto],
    description: 'members with a connection open, by username',
  })
  online: OnlineMemberDto[];
}
