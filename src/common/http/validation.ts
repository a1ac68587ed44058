import {
  applyDecorators,
  BadRequestException,
  ValidationPipe,
  type ArgumentMetadata,
  type ValidationError,
} from '@nestjs/common';
import { IsOptional, IsUrl, MaxLength, ValidateIf } from 'class-validator';

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) =>
      // class-validator messages start with the property name; keep the full path for nested ones.
      m.startsWith(e.property) ? `${path}${m.slice(e.property.length)}` : `${path}: ${m}`,
    );
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/** The path of the first string holding a NUL character (U+0000), or null. */
function nulPath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, v] of Object.entries(value)) {
    const hit = nulPath(v, path ? `${path}.${key}` : key);
    if (hit !== null) return hit;
  }
  return null;
}

/**
 * PostgreSQL text cannot hold NUL (U+0000): such input is refused here, a 400 naming the field,
 * instead of failing in the database as a 500. Applies to REST and WebSocket input alike.
 */
class ChatValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const field = nulPath(value, metadata.data ?? '');
      if (field !== null)
        throw new BadRequestException({
          message: [`${field || metadata.type} must not contain NUL characters`],
          code: 'VALIDATION_FAILED',
        });
    }
    return super.transform(value, metadata);
  }
}

/** The one global pipe: unknown fields are refused, types are converted, messages name the field. */
export function createValidationPipe(): ValidationPipe {
  return new ChatValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    exceptionFactory: (errors) =>
      new BadRequestException({ message: flatten(errors), code: 'VALIDATION_FAILED' }),
  });
}

/**
 * An optional body field: it may be left out, but unlike @IsOptional() an explicit null is still
 * checked (and refused) by the field's other rules, so it never reaches a NOT NULL column.
 */
export const IsOmittable = () =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);

/**
 * An optional, clearable http(s) URL (an avatar): it may be left out or set to null (which clears
 * it); otherwise it must be an absolute http(s) URL of at most 2,048 characters.
 */
export const IsClearableHttpUrl = () =>
  applyDecorators(
    ValidateIf((_object: object, value: unknown) => value !== null),
    IsOptional(),
    IsUrl({ protocols: ['http', 'https'], require_protocol: true }),
    MaxLength(2048),
  );
