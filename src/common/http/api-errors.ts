import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ErrorCodes } from '../errors/domain-error.js';

export class ErrorResponseDto {
  @ApiProperty({ example: 400 }) statusCode: number;
  @ApiProperty({ example: 'Bad Request' }) error: string;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['name must be shorter than or equal to 100 characters'],
  })
  message: string | string[];
  @ApiProperty({
    description: 'stable machine-readable code',
    enum: ErrorCodes,
    example: 'VALIDATION_FAILED',
  })
  code: string;
  @ApiPropertyOptional({ description: 'correlation id, also in the X-Request-Id header' })
  requestId?: string;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Validation failed (VALIDATION_FAILED, MALFORMED_JSON, ROOM_PASSWORD_REQUIRED); the message names the field',
  401: 'Missing, invalid or expired credentials (AUTH_REQUIRED, TOKEN_INVALID, TOKEN_EXPIRED, SESSION_REVOKED, INVALID_CREDENTIALS, REFRESH_TOKEN_INVALID, REFRESH_TOKEN_REUSED)',
  403: 'Not allowed (NOT_ROOM_MEMBER, NOT_ROOM_OWNER, ROOM_PASSWORD_INVALID, USER_DISABLED)',
  404: 'Unknown id, or a private room the caller is not in (ROOM_NOT_FOUND, NOT_FOUND)',
  409: 'Conflict (USERNAME_TAKEN, EMAIL_TAKEN, ROOM_NAME_TAKEN, OWNER_LAST_MEMBER, CLIENT_MSG_ID_CONFLICT)',
  429: 'Too many requests (RATE_LIMITED, ROOM_JOIN_THROTTLED); see the Retry-After header',
};

/** Documents the contract's error body for each status a route can answer with. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        type: ErrorResponseDto,
        ...(status === 429
          ? {
              headers: {
                'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } },
              },
            }
          : {}),
      }),
    ),
  );
}

/** What one error code means on one route. */
export type ErrorCodeMeanings = Readonly<Record<string, string>>;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
};

/**
 * Documents, per status, exactly the codes a route answers with: each code is a named example
 * of the error body (machine-readable, shown in /docs), and the description lists them.
 */
export function ApiErrorCodes(table: Readonly<Record<number, ErrorCodeMeanings>>) {
  return applyDecorators(
    ...Object.entries(table).map(([s, codes]) => {
      const status = Number(s);
      const error = REASONS[status] ?? 'Error';
      return ApiResponse({
        status,
        type: ErrorResponseDto,
        description: `${error}: ${Object.entries(codes)
          .map(([code, meaning]) => `${code} (${meaning})`)
          .join('; ')}`,
        examples: Object.fromEntries(
          Object.entries(codes).map(([code, meaning]) => [
            code,
            { summary: meaning, value: { statusCode: status, error, message: meaning, code } },
          ]),
        ),
      });
    }),
  );
}
