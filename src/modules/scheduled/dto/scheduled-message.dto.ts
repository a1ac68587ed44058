import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { CONTENT_MAX } from '../../messages/domain/message.js';
import type { ScheduledMessage } from '../domain/scheduled-message.js';

const SEND_AT = {
  format: 'date-time',
  example: '2030-01-01T09:00:00.000Z',
  description: 'when to send it: 10 s to 1 year ahead (else 400 SEND_AT_OUT_OF_RANGE)',
};
const THREAD_ROOT = {
  format: 'uuid',
  description:
    'send it as a reply in the thread of this top-level message of the same room (else 400 THREAD_ROOT_INVALID)',
};

export class CreateScheduledMessageDto {
  @ApiProperty({ minLength: 1, maxLength: CONTENT_MAX, example: 'good morning @alice' })
  @IsString()
  @MinLength(1)
  @MaxLength(CONTENT_MAX * 2) // UTF-16 units; the exact 4,000-character rule is the domain's
  content: string;

  @ApiProperty(SEND_AT)
  @IsString()
  @IsISO8601(
    { strict: true, strictSeparator: true },
    { message: 'sendAt must be an ISO-8601 date-time' },
  )
  sendAt: string;

  @ApiPropertyOptional(THREAD_ROOT)
  @IsOptional()
  @IsUUID('all', { message: 'threadRootId must be a UUID' })
  threadRootId?: string;
}

export class UpdateScheduledMessageDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: CONTENT_MAX })
  @ValidateIf((_o, v) => v !== undefined) // null is not "unchanged": it is refused
  @IsString()
  @MinLength(1)
  @MaxLength(CONTENT_MAX * 2)
  content?: string;

  @ApiPropertyOptional(SEND_AT)
  @ValidateIf((_o, v) => v !== undefined)
  @IsString()
  @IsISO8601(
    { strict: true, strictSeparator: true },
    { message: 'sendAt must be an ISO-8601 date-time' },
  )
  sendAt?: string;

  @ApiPropertyOptional({
    ...THREAD_ROOT,
    type: String,
    nullable: true,
    description: `${THREAD_ROOT.description}; null: not a reply`,
  })
  @ValidateIf((_o, v) => v !== undefined && v !== null)
  @IsUUID('all', { message: 'threadRootId must be a UUID' })
  threadRootId?: string | null;
}

/** What POST answers: the contract's fields. */
export class ScheduledMessageCreatedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) roomId: string;
  @ApiProperty() content: string;
  @ApiProperty({ format: 'date-time' }) sendAt: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class ScheduledMessageDto extends ScheduledMessageCreatedDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) threadRootId: string | null;
  @ApiProperty({
    enum: ['pending', 'sent', 'failed'],
    description:
      'pending: waiting for sendAt (or being sent); sent: it became the message messageId/messageSeq; failed: dropped, see failureCode/failureReason',
  })
  status: 'pending' | 'sent' | 'failed';
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'sent: the id of the message it became; else null',
  })
  messageId: string | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: "sent: that message's seq in the room; else null",
  })
  messageSeq: number | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'NOT_ROOM_MEMBER',
    description:
      'failed: why, as the send would have answered (NOT_ROOM_MEMBER: the author left the room; ROOM_NOT_FOUND, THREAD_ROOT_INVALID, MUTED, SEND_FAILED...); else null',
  })
  failureCode: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'failed: the same for people' })
  failureReason: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'when it was sent or failed; null while pending',
  })
  finishedAt: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static created(s: ScheduledMessage): ScheduledMessageCreatedDto {
    return {
      id: s.id,
      roomId: s.roomId,
      content: s.content,
      sendAt: s.sendAt.toISOString(),
      createdAt: s.createdAt.toISOString(),
    };
  }

  static from(s: ScheduledMessage): ScheduledMessageDto {
    return {
      ...ScheduledMessageDto.created(s),
      threadRootId: s.threadRootId,
      status: s.status,
      messageId: s.messageId,
      messageSeq: s.messageSeq,
      failureCode: s.failureCode,
      failureReason: s.failureReason,
      finishedAt: s.finishedAt?.toISOString() ?? null,
      updatedAt: s.updatedAt.toISOString(),
    };
  }
}

export class ScheduledMessagePageDto {
  @ApiProperty({ type: [ScheduledMessageDto], description: 'by sendAt, then id' })
  items: ScheduledMessageDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
