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
  isArray,
  isInt,
  isString,
  isUUID,
  matches,
  max,
  maxLength,
  min,
  minLength,
} from 'class-validator';
import { hasOnlyKeys } from '../../../common/http/validation.js';
import { CLIENT_MSG_ID_PATTERN, CONTENT_MAX } from '../../messages/domain/message.js';

// The frames sent most often check themselves (FastChecked, see validation.ts): each `accepts`
// mirrors its class's decorators with class-validator's own functions, and leaves every doubtful
// input (a null optional field, say) to the decorators.
const uuid = (v: unknown) => isUUID(v, 'all');
const absentOr = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);
const seqInt = (v: unknown, least: number) =>
  isInt(v) && min(v, least) && max(v, Number.MAX_SAFE_INTEGER);

export class SubscribeDto {
  static readonly fields = new Set(['roomId', 'afterSeq', 'afterEventSeq']);
  static accepts(v: unknown): boolean {
    return (
      hasOnlyKeys(v, SubscribeDto.fields) &&
      uuid(v.roomId) &&
      absentOr(v.afterSeq, (x) => seqInt(x, 0)) &&
      absentOr(v.afterEventSeq, (x) => seqInt(x, 0))
    );
  }

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
  static readonly fields = new Set(['roomId']);
  static accepts(v: unknown): boolean {
    return hasOnlyKeys(v, RoomRefDto.fields) && uuid(v.roomId);
  }

  @IsUUID('all', { message: 'roomId must be a UUID' }) roomId: string;
}

export class SendDto {
  static readonly fields = new Set([
    'roomId',
    'content',
    'clientMsgId',
    'onBehalfOf',
    'threadRootId',
    'attachmentIds',
  ]);
  static accepts(v: unknown): boolean {
    return (
      hasOnlyKeys(v, SendDto.fields) &&
      uuid(v.roomId) &&
      isString(v.content) &&
      minLength(v.content, 1) &&
      maxLength(v.content, CONTENT_MAX * 2) &&
      isString(v.clientMsgId) &&
      matches(v.clientMsgId, CLIENT_MSG_ID_PATTERN) &&
      absentOr(v.onBehalfOf, uuid) &&
      absentOr(v.threadRootId, uuid) &&
      absentOr(v.attachmentIds, (x) => isArray(x) && (x as unknown[]).every(uuid))
    );
  }

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
  static readonly fields = new Set(['roomId', 'seq']);
  static accepts(v: unknown): boolean {
    return hasOnlyKeys(v, ReadDto.fields) && uuid(v.roomId) && seqInt(v.seq, 0);
  }

  @IsUUID('all', { message: 'roomId must be a UUID' }) roomId: string;
  @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER) seq: number;
}

export class PingDto {}
