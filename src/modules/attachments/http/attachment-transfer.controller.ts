import { pipeline } from 'node:stream/promises';
import {
  applyDecorators,
  Controller,
  Get,
  HttpCode,
  Optional,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Errors } from '../../../common/errors/domain-error.js';
import { UuidParam } from '../../../common/http/uuid-param.js';
import { Public } from '../../auth/principal.js';
import { AttachmentRouteErrors } from '../attachment-errors.decorator.js';
import { AttachmentUploadsService, UploadReceiver } from '../attachment-uploads.service.js';
import { contentDisposition } from '../domain/content-disposition.js';

const linkQuery = applyDecorators(
  ApiQuery({ name: 'expires', description: 'part of the signed link' }),
  ApiQuery({ name: 'signature', description: 'part of the signed link' }),
);

/**
 * The signed links the service answers itself, with no bearer token (the signature is the
 * credential): uploads to the local store, and downloads (the local store's bytes, or a
 * redirect to S3).
 */
@ApiTags('attachments')
@Public()
@Controller('attachments/:id')
export class AttachmentTransferController {
  constructor(
    private readonly uploads: AttachmentUploadsService,
    @Optional() private readonly receiver?: UploadReceiver,
  ) {}

  @Put('upload')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Upload an attachment’s bytes (local store; the link from POST …/attachments)',
    description:
      'The body is exactly the declared size; a longer one is cut off and refused, a shorter ' +
      'one refused; nothing is kept of a refused upload. Works once. No bearer token: the ' +
      'link is signed.',
    security: [],
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @linkQuery
  @ApiNoContentResponse({ description: 'stored' })
  @AttachmentRouteErrors.upload
  async upload(
    @UuidParam('id') id: string,
    @Query('expires') expires: unknown,
    @Query('signature') signature: unknown,
    @Req() req: Request,
  ): Promise<void> {
    if (!this.receiver) throw Errors.notFound('NOT_FOUND', 'uploads go to the object store');
    await this.uploads.receiveUpload(
      this.receiver,
      id,
      { expires, signature },
      req,
      req.headers['content-length'],
    );
  }

  @Get('content')
  @ApiOperation({
    summary: 'Download an attachment (the signed URL a message carries)',
    description:
      'The bytes (local store), or a 302 to the object store (S3). No bearer token: the link ' +
      'is signed.',
    security: [],
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @linkQuery
  @ApiOkResponse({ description: 'the file' })
  @AttachmentRouteErrors.content
  async content(
    @UuidParam('id') id: string,
    @Query('expires') expires: unknown,
    @Query('signature') signature: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const { attachment: a, download } = await this.uploads.downloadByLink(id, {
      expires,
      signature,
    });
    res.setHeader('Cache-Control', 'private, max-age=300');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (download.kind === 'redirect') {
      res.redirect(302, download.url);
      return;
    }
    // Served from the API's origin: never run as a page, never sniffed into something else.
    res.setHeader('Content-Type', a.contentType);
    res.setHeader('Content-Length', String(download.size));
    res.setHeader('Content-Disposition', contentDisposition(a.filename, a.contentType));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.status(200);
    await pipeline(download.body, res);
  }
}
