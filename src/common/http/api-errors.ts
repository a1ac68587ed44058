import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400 }) statusCode: number;
  @ApiProperty({ example: 'Bad Request' }) error: string;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['name must be shorter than or equal to 100 characters'],
  })
  message: string | string[];
  // The enum is the set of codes the running application's routes document (OpenApiDocumentService):
  // each module owns its codes; the core lists none.
  @ApiProperty({ description: 'stable machine-readable code', example: 'VALIDATION_FAILED' })
  code: string;
  @ApiPropertyOptional({ description: 'correlation id, also in the X-Request-Id header' })
  requestId?: string;
}

/** The statuses whose codes are the same on every route. */
type CommonErrorStatus = 400 | 401 | 403 | 404 | 429;

const DESCRIPTIONS: Record<CommonErrorStatus, string> = {
  400: 'Validation failed; the message names the field',
  401: 'Missing, invalid or expired credentials',
  403: 'Not allowed',
  404: 'Unknown id, or a private room the caller is not in',
  429: 'Too many requests; see the Retry-After header',
};

/** The codes a status means on any route that documents it without its own table. */
const COMMON_CODES: Record<CommonErrorStatus, ErrorCodeMeanings> = {
  400: {
    VALIDATION_FAILED: 'a malformed id, query or field; the message names it',
    MALFORMED_JSON: 'the body is not JSON',
  },
  401: {
    AUTH_REQUIRED: 'no bearer token',
    TOKEN_INVALID: 'the token is forged or malformed',
    TOKEN_EXPIRED: 'the access token expired: refresh it',
    SESSION_REVOKED: 'the session was logged out or revoked',
  },
  403: { NOT_ROOM_MEMBER: 'the caller is not a member of this room' },
  404: { NOT_FOUND: 'no such resource' },
  429: { RATE_LIMITED: 'too many requests; retry after Retry-After seconds' },
};

/**
 * Documents the contract's error body for each status a route can answer with, with the codes
 * that status means on any route. A status whose codes depend on the route (409, 413, ...) has
 * no common codes: the route lists its own with ApiErrorCodes.
 */
export function ApiErrors(...statuses: CommonErrorStatus[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: describe(status, COMMON_CODES[status], DESCRIPTIONS[status]),
        type: ErrorResponseDto,
        examples: examplesOf(status, COMMON_CODES[status]),
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
  401: 'Unauthorized',
  429: 'Too Many Requests',
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
        description: describe(status, codes, error),
        examples: examplesOf(status, codes),
      });
    }),
  );
}

function describe(status: number, codes: ErrorCodeMeanings, lead = REASONS[status] ?? 'Error') {
  const list = Object.entries(codes).map(([code, meaning]) => `${code} (${meaning})`);
  return list.length > 0 ? `${lead}: ${list.join('; ')}` : lead;
}

/** Each code a named example of the error body, with this status and its reason. */
export function examplesOf(status: number, codes: ErrorCodeMeanings) {
  const error = REASONS[status] ?? 'Error';
  return Object.fromEntries(
    Object.entries(codes).map(([code, meaning]) => [
      code,
      { summary: meaning, value: { statusCode: status, error, message: meaning, code } },
    ]),
  );
}
