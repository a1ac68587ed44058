import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** The environment a configuration is read from (process.env at the edges, a literal in tests). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Thrown when an environment variable is invalid. The message is one line naming every bad
 * variable, so an operator sees all of them at once and a log collector keeps it whole.
 */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigValidationError';
  }
}

// Values of these are never echoed back: an error message ends up in logs.
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|_URL$/;

function shown(property: string, value: unknown): string {
  if (value === undefined) return `${property} (unset)`;
  if (SECRET_NAME.test(property)) return `${property} (value hidden)`;
  return `${property}=${JSON.stringify(value)}`;
}

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    const c = e.constraints ?? {};
    // An unset required variable: "required" says it all; the format rules would only confuse.
    const messages = e.value === undefined && c.isDefined ? [c.isDefined] : Object.values(c);
    return `${shown(e.property, e.value)}: ${messages.join(', ')}`;
  });
}

/**
 * Validates one concern's slice of the environment against a class-validator class.
 * Empty strings count as unset so `.env` files may list a variable without a value.
 */
export function validateEnv<T extends object>(cls: new () => T, env: Env): T {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const instance = plainToInstance(cls, cleaned, { enableImplicitConversion: false });
  const errors = validateSync(instance, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) throw new ConfigValidationError(describe(errors));
  return instance;
}

/**
 * One part of the configuration: a pure function of the environment, and the token Nest
 * provides its value under (the same string @nestjs/config's registerAs used, so injection
 * sites did not change when validation moved out of Nest).
 */
export type ConfigPart<T> = ((env: Env) => T) & { readonly KEY: string };

export function configPart<T>(name: string, build: (env: Env) => T): ConfigPart<T> {
  return Object.assign((env: Env) => build(env), { KEY: `CONFIGURATION(${name})` });
}

export const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;

export const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return value;
};

export const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;
