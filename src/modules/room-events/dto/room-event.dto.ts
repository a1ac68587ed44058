import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ROOM_EVENT_KINDS, type RoomEvent } from '../../../common/events/chat-events.js';
import { MAX_LIMIT, toIntQuery } from '../../../common/http/pagination.js';

export class RoomEventDto {
  @ApiProperty({
    type: 'integer',
    description: 'place in the room log: 1, 2, 3, ... gapless',
    example: 12,
  })
  eventSeq: number;
  @ApiProperty({
    enum: ROOM_EVENT_KINDS,
    description: 'the WebSocket event name a subscriber got live (modules may add kinds)',
  })
  event: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'exactly the `data` of the live frame, eventSeq included',
  })
  data: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static from(e: RoomEvent): RoomEventDto {
    return { eventSeq: e.eventSeq, event: e.event, data: { ...e.data }, createdAt: e.createdAt };
  }
}

export class RoomEventPageDto {
  @ApiProperty({ type: [RoomEventDto], description: 'ascending eventSeq' }) items: RoomEventDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'the afterEventSeq to pass for the next page; null when this page reached the end',
  })
  nextCursor: string | null;
}

export class RoomEventQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    default: 0,
    description:
      'the events right after this eventSeq; past the room lastEventSeq: 409 RESYNC_REQUIRED',
  })
  @IsOptional()
  @Transform(toIntQuery)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  afterEventSeq?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 50 })
  @IsOptional()
  @Transform(toIntQuery)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;
}
