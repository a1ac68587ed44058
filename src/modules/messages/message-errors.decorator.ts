import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/http/api-errors.js';
import { MessageErrorDocs } from './domain/message-errors.js';

/** The contract's error body for each status, with what it means on the messages routes. */
export function MessageErrors(...statuses: (keyof typeof MessageErrorDocs)[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: MessageErrorDocs[status], type: ErrorResponseDto }),
    ),
  );
}
