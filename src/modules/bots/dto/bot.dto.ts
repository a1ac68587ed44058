import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { PageQueryDto } from '../../../common/http/pagination.js';
import { IsClearableHttpUrl, IsOmittable } from '../../../common/http/validation.js';
import { CLIENT_MSG_ID_PATTERN, CONTENT_MAX } from '../../messages/domain/message.js';
import { BOT_NAME_PATTERN, WEBHOOK_URL_MAX, type Bot } from '../domain/bot.js';
import type { DeliveryRecord } from '../domain/webhook-delivery.repository.js';

const NAME_MESSAGE = 'name must be 2-32 letters, digits, _ . or -';

/**
 * May be left out or null (no webhook); its address rules (http(s), no private hosts) are the
 * service's, which resolves the host.
 */
const IsClearableWebhookUrl = () =>
  applyDecorators(
    ValidateIf((_o: object, v: unknown) => v !== null),
    IsOptional(),
    IsString(),
    MinLength(1),
    MaxLength(WEBHOOK_URL_MAX),
  );

export class BotDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid', description: 'the user the bot posts as (messages, members)' })
  userId: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty({ example: 'weather' }) name: string;
  @ApiProperty({ example: 'weather[bot]', description: "the bot user's username: `${name}[bot]`" })
  username: string;
  @ApiProperty({ type: String, nullable: true }) avatarUrl: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'https://bots.example.com/hook' })
  webhookUrl: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  tokenRotatedAt: string | null;

  static from(b: Bot): BotDto {
    return {
      id: b.id,
      userId: b.userId,
      ownerId: b.ownerId,
      name: b.name,
      username: b.username,
      avatarUrl: b.avatarUrl,
      webhookUrl: b.webhookUrl,
      createdAt: b.createdAt.toISOString(),
      updatedAt: b.updatedAt.toISOString(),
      tokenRotatedAt: b.tokenRotatedAt ? b.tokenRotatedAt.toISOString() : null,
    };
  }
}

export class BotWithTokenDto extends BotDto {
  @ApiProperty({
    description:
      'shown this once, never stored in clear: send it as `Authorization: Bot <token>`; SHA-256 of it keys the webhook signatures',
    example: 'bot_0f8b0c6a9d2e4f1ab3c5d7e9f1a3b5c7.3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  })
  token: string;

  static withToken(b: Bot, token: string): BotWithTokenDto {
    return { ...BotDto.from(b), token };
  }
}

export class BotPageDto {
  @ApiProperty({ type: [BotDto] }) items: BotDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class CreateBotDto {
  @ApiProperty({ pattern: BOT_NAME_PATTERN.source, example: 'weather' })
  @IsString()
  @Matches(BOT_NAME_PATTERN, { message: NAME_MESSAGE })
  name: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://example.com/bot.png' })
  @IsClearableHttpUrl()
  avatarUrl?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: WEBHOOK_URL_MAX,
    description:
      'http(s) URL every message of the bot’s rooms is POSTed to; hosts resolving to private, loopback or link-local addresses are refused (400 WEBHOOK_URL_REFUSED) unless BOT_WEBHOOK_ALLOW_PRIVATE says otherwise',
    example: 'https://bots.example.com/hook',
  })
  @IsClearableWebhookUrl()
  webhookUrl?: string | null;
}

export class UpdateBotDto {
  @ApiPropertyOptional({ pattern: BOT_NAME_PATTERN.source })
  @IsOmittable()
  @IsString()
  @Matches(BOT_NAME_PATTERN, { message: NAME_MESSAGE })
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'null removes it' })
  @IsClearableHttpUrl()
  avatarUrl?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: WEBHOOK_URL_MAX,
    description: 'null removes the webhook (deliveries not yet sent are then dropped)',
  })
  @IsClearableWebhookUrl()
  webhookUrl?: string | null;
}

export class BotSendMessageDto {
  @ApiProperty({ minLength: 1, maxLength: CONTENT_MAX, example: 'It is sunny.' })
  @IsString()
  @MinLength(1)
  @MaxLength(CONTENT_MAX * 2) // UTF-16 units; the exact 4,000-character rule is the domain's
  content: string;

  @ApiPropertyOptional({
    pattern: CLIENT_MSG_ID_PATTERN.source,
    description: 'makes the send idempotent for this bot',
  })
  @IsOptional()
  @IsString()
  @Matches(CLIENT_MSG_ID_PATTERN, {
    message: 'clientMsgId must be 1-64 characters of A-Z a-z 0-9 _ . : -',
  })
  clientMsgId?: string;
}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid', description: 'the X-Chat-Delivery-Id the receiver saw' })
  id: string;
  @ApiProperty({ format: 'uuid' }) botId: string;
  @ApiProperty({ format: 'uuid' }) messageId: string;
  @ApiProperty({ format: 'uuid' }) roomId: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status: string;
  @ApiProperty({ type: 'integer', example: 1 }) attempts: number;
  @ApiProperty({ type: String, nullable: true, example: 'HTTP 503' }) lastError: string | null;
  @ApiProperty({ format: 'date-time' }) nextAttemptAt: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt: string | null;

  static from(d: DeliveryRecord): DeliveryDto {
    return {
      id: d.id,
      botId: d.botId,
      messageId: d.messageId,
      roomId: d.roomId,
      status: d.status,
      attempts: d.attempts,
      lastError: d.lastError,
      nextAttemptAt: d.nextAttemptAt.toISOString(),
      createdAt: d.createdAt.toISOString(),
      deliveredAt: d.deliveredAt ? d.deliveredAt.toISOString() : null,
    };
  }
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryDto], description: 'newest first' }) items: DeliveryDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class DeliveryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'failed'] })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'failed'])
  status?: 'pending' | 'delivered' | 'failed';
}
