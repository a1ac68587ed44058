import {
  applyDecorators,
  BadRequestException,
  ValidationPipe,
  type ArgumentMetadata,
  type ValidationPipeOptions,
  type ValidationError,
} from '@nestjs/common';
import { IsOptional, IsUrl, MaxLength, ValidateIf } from 'class-validator';
import { describeViolation, findInputViolation } from './input-limits.js';

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

/**
 * Before class-transformer and class-validator (both recursive) see an input, one iterative
 * walk refuses what they must never get: nesting deeper than MAX_JSON_DEPTH (a stack overflow,
 * answered as a 500, otherwise), NUL characters and lone UTF-16 surrogates, which PostgreSQL
 * text cannot hold (a 500 from the database otherwise), in any string. A 400 naming the field;
 * REST and WebSocket input alike.
 */
class ChatValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const violation = findInputViolation(value);
      if (violation !== null)
        throw new BadRequestException({
          message: [describeViolation(violation, metadata.data ?? '', metadata.type)],
          code: 'VALIDATION_FAILED',
        });
    }
    const type = metadata.metatype as (FastChecked & (new () => object)) | undefined;
    if (typeof type?.accepts === 'function' && type.accepts(value))
      return Object.assign(new type(), value);
    return super.transform(value, metadata);
  }
}

/**
 * A DTO of a hot path (every WebSocket send) may say itself when an input is valid as it
 * stands: `accepts` answers true only for an input its decorators accept without changing it
 * (only its own fields, each checked with class-validator's own function for its decorator, no
 * transform involved). The pipe then builds the instance directly, as class-transformer would,
 * and skips class-validator's metadata walk (about 100 µs a message). Anything else, valid or
 * not, takes the full path, so every error is still the decorators' own.
 */
export interface FastChecked {
  accepts(value: unknown): boolean;
}

/** A plain object whose own keys are all among `keys` (no __proto__, no extra field). */
export function hasOnlyKeys(
  value: unknown,
  keys: ReadonlySet<string>,
): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const k of Object.keys(value)) if (!keys.has(k)) return false;
  return true;
}

/** The pipe's options: the decorators' own rules, and errors as VALIDATION_FAILED. */
export const VALIDATION_OPTIONS: ValidationPipeOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  transformOptions: { enableImplicitConversion: false },
  exceptionFactory: (errors) =>
    new BadRequestException({ message: flatten(errors), code: 'VALIDATION_FAILED' }),
};

/** The one global pipe: unknown fields are refused, types are converted, messages name the field. */
export function createValidationPipe(): ValidationPipe {
  return new ChatValidationPipe(VALIDATION_OPTIONS);
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
