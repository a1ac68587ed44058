import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto, examplesOf } from '../../common/http/api-errors.js';

const COMMON: Record<number, string> = {
  400: 'Validation failed (VALIDATION_FAILED); the message names the field',
  401: 'Missing, invalid or expired credentials (AUTH_REQUIRED, TOKEN_INVALID, TOKEN_EXPIRED, SESSION_REVOKED)',
  403: 'The caller lacks the permission (PERMISSION_DENIED), or the account is disabled (USER_DISABLED)',
  429: 'Too many requests (RATE_LIMITED); see the Retry-After header',
};

/** The contract's error body for each status, with what it means on this route. */
export function AdminErrors(specific: Record<number, string> = {}) {
  const all = { ...COMMON, ...specific };
  return applyDecorators(
    ...Object.entries(all).map(([status, description]) =>
      ApiResponse({
        status: Number(status),
        description,
        type: ErrorResponseDto,
        // The codes the description names, each a named example of the body.
        examples: examplesOf(
          Number(status),
          Object.fromEntries(
            [...new Set(description.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? [])].map(
              (code) => [code, description],
            ),
          ),
        ),
        ...(status === '429'
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
