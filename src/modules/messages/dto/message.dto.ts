import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsUUID,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { MAX_LIMIT, toIntQuery } from '../../../common/http/pagination.js';
import { AttachmentDto } from '../../attachments/dto/attachment.dto.js';
import { CLIENT_MSG_ID_PATTERN, CONTENT_MAX, type Message } from '../domain/message.js';

export class ThreadSummaryDto {
  @ApiProperty({ type: 'integer', example: 3 }) replyCount: number;
  @ApiProperty({ format: 'date-time' }) lastReplyAt: string;
  @ApiProperty({ type: 'integer', example: 42 }) lastReplySeq: number;
}

export class ReactionDto {
  @ApiProperty({ example: '👍', description: 'one emoji or :short_name:' }) emoji: string;
  @ApiProperty({ type: 'integer', example: 2 }) count: number;
  @ApiProperty({ description: 'whether the caller reacted with it' }) me: boolean;
}

export class MessageDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) roomId: string;
  @ApiProperty({
    type: 'integer',
    description: 'place in the room: 1, 2, 3, ... gapless',
    example: 7,
  })
  seq: number;
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() username: string;
  @ApiProperty({ minLength: 1, maxLength: CONTENT_MAX }) content: string;
  @ApiProperty({ enum: ['text', 'system', 'bot'] }) type: string;
  @ApiProperty({ type: String, nullable: true }) clientMsgId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  // Documented by the proxy module when it is on (ProxyProtocolDocs); null otherwise.
  sentBy: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'set when the message was deleted: content is empty, seq is kept',
  })
  deletedAt: string | null;
  @ApiProperty({ description: 'a tombstone: content is "", seq is kept' }) deleted: boolean;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'null until edited',
  })
  editedAt: string | null;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'the top-level message of this room this one replies to',
  })
  threadRootId: string | null;
  @ApiProperty({
    type: ThreadSummaryDto,
    nullable: true,
    description: 'on a thread root with replies; else null',
  })
  thread: ThreadSummaryDto | null;
  @ApiProperty({
    type: [String],
    format: 'uuid',
    description: 'ids of the room members named as @username in the content',
  })
  mentions: string[];
  @ApiProperty({ type: [ReactionDto] }) reactions: ReactionDto[];
  @ApiProperty({
    type: [AttachmentDto],
    description: 'the files it carries, each with a signed download URL (no token needed)',
  })
  attachments: AttachmentDto[];

  static from(m: Message): MessageDto {
    // Served messages went through AttachmentUrls: every attachment has its url.
    return { ...m, attachments: m.attachments as AttachmentDto[] };
  }
}

export class SendMessageDto {
  @ApiProperty({ minLength: 1, maxLength: CONTENT_MAX, example: 'hello' })
  @IsString()
  @MinLength(1)
  @MaxLength(CONTENT_MAX * 2) // UTF-16 units; the exact 4,000-character rule is the domain's
  content: string;

  @ApiPropertyOptional({
    enum: ['text'],
    description: "users send text; system and bot types are the service's",
  })
  @IsOptional()
  @IsIn(['text'], {
    message: 'type must be text (system and bot messages are sent by the service)',
  })
  type?: 'text';

  @ApiPropertyOptional({
    pattern: CLIENT_MSG_ID_PATTERN.source,
    description: 'makes the send idempotent per sender',
  })
  @IsOptional()
  @IsString()
  @Matches(CLIENT_MSG_ID_PATTERN, {
    message: 'clientMsgId must be 1-64 characters of A-Z a-z 0-9 _ . : -',
  })
  clientMsgId?: string;

  // Documented by the proxy module when it is on (ProxyProtocolDocs); 400 when it is off.
  @IsOptional()
  @IsUUID('all', { message: 'onBehalfOf must be a UUID' })
  onBehalfOf?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'reply in the thread of this top-level message of the same room (else 400 THREAD_ROOT_INVALID)',
  })
  @IsOptional()
  @IsUUID('all', { message: 'threadRootId must be a UUID' })
  threadRootId?: string;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    maxItems: 10,
    description:
      'uploads to carry (POST /api/rooms/:id/attachments): the sender’s own, for this room, fully uploaded, on no other message (else 400 ATTACHMENT_INVALID)',
  })
  @IsOptional()
  @IsArray({ message: 'attachmentIds must be an array of UUIDs' })
  @IsUUID('all', { each: true, message: 'attachmentIds must be an array of UUIDs' })
  attachmentIds?: string[];
}

export class EditMessageDto {
  @ApiProperty({ minLength: 1, maxLength: CONTENT_MAX, example: 'hello, fixed' })
  @IsString()
  @MinLength(1)
  @MaxLength(CONTENT_MAX * 2) // UTF-16 units; the exact 4,000-character rule is the domain's
  content: string;
}

export class HistoryQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description:
      'the `limit` messages right after this seq; 409 RESYNC_REQUIRED when those are no longer kept (retention)',
  })
  @IsOptional()
  @Transform(toIntQuery)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  afterSeq?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: 'the `limit` messages right before this seq',
  })
  @IsOptional()
  @Transform(toIntQuery)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  beforeSeq?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 50 })
  @IsOptional()
  @Transform(toIntQuery)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;

  @ApiPropertyOptional({
    format: 'uuid',
    description: "only this thread's replies (the root itself is not among them)",
  })
  @IsOptional()
  @IsUUID('all', { message: 'threadRootId must be a UUID' })
  threadRootId?: string;
}

export class MessagePageDto {
  @ApiProperty({ type: [MessageDto], description: 'ascending seq' }) items: MessageDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'seq to pass as afterSeq (when paging forward) or beforeSeq (when paging back) for the next page; null at the end',
  })
  nextCursor: string | null;
}
