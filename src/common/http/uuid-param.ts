import { BadRequestException, Param, ParseUUIDPipe } from '@nestjs/common';

/** A path id that must be a UUID: a malformed one is a 400 naming the parameter. */
export const UuidParam = (name: string) =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () =>
        new BadRequestException({ message: [`${name} must be a UUID`], code: 'VALIDATION_FAILED' }),
    }),
  );
