import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { RoomDto } from '../../rooms/dto/room.dto.js';
import type { LastMessage, RoomListItem } from '../domain/read-state.repository.js';

export class MarkReadDto {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'read up to this seq; the marker never moves back and stops at lastSeq',
  })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seq: number;
}

export class LastMessageDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: 'integer' }) seq: number;
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() username: string;
  @ApiProperty({ description: '"" for a deleted message' }) content: string;
  @ApiProperty({ enum: ['text', 'system', 'bot'] }) type: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty() deleted: boolean;

  static from(m: LastMessage): LastMessageDto {
    return { ...m, createdAt: m.createdAt.toISOString() };
  }
}

export class RoomListItemDto extends RoomDto {
  @ApiProperty({ type: 'integer', description: "the caller's read marker" }) lastReadSeq: number;
  @ApiProperty({ type: 'integer', description: 'lastSeq - lastReadSeq' }) unreadCount: number;
  @ApiProperty({
    type: 'integer',
    description: 'messages after lastReadSeq that mention the caller',
  })
  mentionCount: number;
  @ApiProperty({ type: LastMessageDto, nullable: true }) lastMessage: LastMessageDto | null;

  static fromItem(i: RoomListItem): RoomListItemDto {
    return {
      ...RoomDto.from(i.room),
      lastReadSeq: i.lastReadSeq,
      unreadCount: Math.max(0, i.room.lastSeq - i.lastReadSeq),
      mentionCount: i.mentionCount,
      lastMessage: i.lastMessage ? LastMessageDto.from(i.lastMessage) : null,
    };
  }
}

export class RoomListPageDto {
  @ApiProperty({ type: [RoomListItemDto] }) items: RoomListItemDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
