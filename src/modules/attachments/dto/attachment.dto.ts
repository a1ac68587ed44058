import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, MaxLength } from 'class-validator';
import { CONTENT_TYPE_MAX, FILENAME_MAX } from '../domain/attachment.js';

export class CreateAttachmentDto {
  @ApiProperty({
    maxLength: FILENAME_MAX,
    example: 'diagram.png',
    description: 'a plain name: no path separators, no control characters',
  })
  @IsString()
  @MaxLength(FILENAME_MAX * 2) // UTF-16 units; the exact 255-character rule is the domain's
  filename: string;

  @ApiProperty({ maxLength: CONTENT_TYPE_MAX, example: 'image/png' })
  @IsString()
  @MaxLength(CONTENT_TYPE_MAX)
  contentType: string;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'bytes; at most ATTACHMENT_MAX_BYTES (26214400 by default)',
    example: 48213,
  })
  @IsInt({ message: 'size must be a whole number of bytes' })
  size: number;
}

export class UploadTargetDto {
  @ApiProperty({
    description:
      'where to PUT exactly `size` bytes: the object store (S3) or this service (local store); no bearer token',
  })
  url: string;
  @ApiProperty({ enum: ['PUT'] }) method: 'PUT';
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'headers to send with the PUT (the upload is signed over them)',
    example: { 'Content-Type': 'image/png' },
  })
  headers: Record<string, string>;
}

export class CreatedAttachmentDto {
  @ApiProperty({ format: 'uuid', description: 'pass it in attachmentIds when sending' }) id: string;
  @ApiProperty({ type: UploadTargetDto }) upload: UploadTargetDto;
  @ApiProperty({ type: 'integer', description: 'seconds the upload URL works', example: 900 })
  expiresIn: number;
}

export class AttachmentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() filename: string;
  @ApiProperty({ example: 'image/png' }) contentType: string;
  @ApiProperty({ type: 'integer', description: 'bytes, as measured by the store' })
  size: number;
  @ApiProperty({
    description:
      'signed download URL; works without a token for ATTACHMENT_URL_TTL_SEC (1 h by default, 10 min at least) after it was served',
  })
  url: string;
}
