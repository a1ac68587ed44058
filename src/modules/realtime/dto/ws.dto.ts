import {
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { CLIENT_MSG_ID_PATTERN, CONTENT_MAX } from '../../messages/domain/message.js';

export class SubscribeDto {
  @IsUUID('all', { message: 'roomId must be a UUID' }) roomId: string;
  /** v1: replay the messages after this seq, then live room events. */
  @IsOptional() @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER) afterSeq?: number;
  /** v2: replay every room event after this eventSeq, then live ones. */
  @IsOptional()
  @IsInt({ message: 'afterEventSeq must be an integer' })
  @Min(0, { message: 'afterEventSeq must not be negative' })
  @Max(Number.MAX_SAFE_INTEGER)
  afterEventSeq?: number;
}

export class RoomRefDto {
  @IsUUID('all', { message: 'roomId must be a UUID' }) roomId: string;
}

export class SendDto {
  @IsUUID('all', { message: 'roomId must be a UUID' }) roomId: string;
  @IsString() @MinLength(1) @MaxLength(CONTENT_MAX * 2) content: string;
  @IsString()
  @Matches(CLIENT_MSG_ID_PATTERN, {
    message: 'clientMsgId must be 1-64 characters of A-Z a-z 0-9 _ . : -',
  })
  clientMsgId: string;
  /** Proxy module: send as this user. Refused with VALIDATION_FAILED when the module is off. */
  @IsOptional() @IsUUID('all', { message: 'onBehalfOf must be a UUID' }) onBehalfOf?: string;
  /** Reply in the thread of this top-level message of the same room. */
  @IsOptional() @IsUUID('all', { message: 'threadRootId must be a UUID' }) threadRootId?: string;
  /** Uploads to carry (POST /api/rooms/:id/attachments); over 10: ATTACHMENT_INVALID (domain). */
  @IsOptional()
  @IsArray({ message: 'attachmentIds must be an array of UUIDs' })
  @IsUUID('all', { each: true, message: 'attachmentIds must be an array of UUIDs' })
  attachmentIds?: string[];
}

export class ReadDto {
  @IsUUID('all', { message: 'roomId must be a UUID' }) roomId: string;
  @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER) seq: number;
}

export class PingDto {}
