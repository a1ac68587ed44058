import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { configPart, toBool, toInt, validateEnv, type Env } from '../../config/validate-env.js';

const S3_REQUIRED = 'is required when ATTACHMENT_STORE=s3';
const whenS3 = (o: AttachmentsEnv) => o.ATTACHMENT_STORE === 's3';

// The attachments context's settings, validated by loadConfig before start-up: a bad value stops
// start-up with the variable's name. The S3_* settings are required only with ATTACHMENT_STORE=s3.
class AttachmentsEnv {
  @IsOptional()
  @IsIn(['local', 's3'], { message: 'ATTACHMENT_STORE must be local or s3' })
  ATTACHMENT_STORE: 'local' | 's3' = 'local';
  /** The largest file a member may upload, in bytes (25 MiB by default). */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(5 * 1024 ** 3) // one S3 PUT carries at most 5 GiB
  ATTACHMENT_MAX_BYTES: number = 26_214_400;
  /** How long an upload URL works. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(10) @Max(86_400) ATTACHMENT_UPLOAD_TTL_SEC: number =
    900;
  /** How long a download URL works after it was served (the contract asks for 10 minutes at least). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(600) @Max(604_800) ATTACHMENT_URL_TTL_SEC: number =
    3600;
  /** An upload no message took is deleted after this long. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) ATTACHMENT_UNBOUND_TTL_SEC: number = 86_400;
  /** How often the sweeper looks for expired uploads and files of deleted messages. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(3_600_000)
  ATTACHMENT_SWEEP_INTERVAL_MS: number = 60_000;
  /**
   * Absolute base of the links the service signs itself (local store uploads, downloads), e.g.
   * https://chat.example.com. Unset: root-relative links (/api/attachments/...).
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^/?#]+(\/[^?#]*)?$/, {
    message: 'ATTACHMENT_LINK_BASE_URL must be an http(s) URL without query',
  })
  ATTACHMENT_LINK_BASE_URL?: string;
  @IsOptional() @IsString() DATA_DIR: string = './.data';

  @ValidateIf(whenS3)
  @IsDefined({ message: `S3_BUCKET ${S3_REQUIRED}` })
  @IsString()
  @MinLength(3)
  S3_BUCKET?: string;
  @ValidateIf(whenS3)
  @IsDefined({ message: `S3_REGION ${S3_REQUIRED}` })
  @IsString()
  S3_REGION?: string;
  @ValidateIf(whenS3)
  @IsDefined({ message: `S3_ACCESS_KEY_ID ${S3_REQUIRED}` })
  @IsString()
  S3_ACCESS_KEY_ID?: string;
  @ValidateIf(whenS3)
  @IsDefined({ message: `S3_SECRET_ACCESS_KEY ${S3_REQUIRED}` })
  @IsString()
  S3_SECRET_ACCESS_KEY?: string;
  /** Unset: AWS's own endpoint for the region. */
  @IsOptional()
  @Matches(/^https?:\/\/[^/?#]+\/?$/, {
    message: 'S3_ENDPOINT must be an http(s) URL with no path, e.g. http://127.0.0.1:9000',
  })
  S3_ENDPOINT?: string;
  @IsOptional() @Transform(toBool) @IsBoolean() S3_FORCE_PATH_STYLE: boolean = false;
}

export const attachmentsConfig = configPart('attachments', (e: Env) => {
  const env = validateEnv(AttachmentsEnv, e);
  return {
    store: env.ATTACHMENT_STORE,
    maxBytes: env.ATTACHMENT_MAX_BYTES,
    uploadTtlSec: env.ATTACHMENT_UPLOAD_TTL_SEC,
    urlTtlSec: env.ATTACHMENT_URL_TTL_SEC,
    unboundTtlSec: env.ATTACHMENT_UNBOUND_TTL_SEC,
    sweepIntervalMs: env.ATTACHMENT_SWEEP_INTERVAL_MS,
    /** '' when unset: links are root-relative. */
    linkBaseUrl: (env.ATTACHMENT_LINK_BASE_URL ?? '').replace(/\/+$/, ''),
    dataDir: env.DATA_DIR,
    s3:
      env.ATTACHMENT_STORE === 's3'
        ? {
            bucket: env.S3_BUCKET!,
            region: env.S3_REGION!,
            accessKeyId: env.S3_ACCESS_KEY_ID!,
            secretAccessKey: env.S3_SECRET_ACCESS_KEY!,
            endpoint: env.S3_ENDPOINT ?? null,
            forcePathStyle: env.S3_FORCE_PATH_STYLE,
          }
        : null,
  };
});

export type AttachmentsConfig = ReturnType<typeof attachmentsConfig>;
export type S3Settings = NonNullable<AttachmentsConfig['s3']>;
