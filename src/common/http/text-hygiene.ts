import {
  registerDecorator,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';
import { forbiddenCharacter } from '../text/unicode-hygiene.js';

function hygiene(name: string, multiline: boolean, what: string, options?: ValidationOptions) {
  return (object: object, propertyName: string): void => {
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options,
      validator: {
        // Not a string: the field's @IsString() says so.
        validate: (value: unknown) =>
          typeof value !== 'string' || forbiddenCharacter(value, multiline) === null,
        defaultMessage: (args: ValidationArguments) => {
          const found =
            typeof args.value === 'string' ? forbiddenCharacter(args.value, multiline) : null;
          return `${args.property} must not contain ${what}${found ? ` (found ${found})` : ''}`;
        },
      },
    });
  };
}

/**
 * A name shown to other people (a room, an organisation, a department, a role): the same
 * hygiene as usernames, for any script. No control characters (line breaks included), bidi
 * overrides or isolates, zero-width or other invisible characters, lone surrogates.
 */
export const IsDisplayName = (options?: ValidationOptions) =>
  hygiene('isDisplayName', false, 'control, bidi-override or zero-width characters', options);

/**
 * Free text shown to other people (a description, a moderation reason): like a display name,
 * but it may hold tab and line breaks.
 */
export const IsCleanText = (options?: ValidationOptions) =>
  hygiene(
    'isCleanText',
    true,
    'control (other than tab and line breaks), bidi-override or zero-width characters',
    options,
  );
