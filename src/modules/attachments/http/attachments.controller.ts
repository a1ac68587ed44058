import { Body, Controller, Get, Header, Post, Redirect } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../../../common/http/api-errors.js';
import { UuidParam } from '../../../common/http/uuid-param.js';
import { CurrentUser, type Principal } from '../../auth/principal.js';
import { AttachmentRouteErrors } from '../attachment-errors.decorator.js';
import { AttachmentUploadsService } from '../attachment-uploads.service.js';
import { CreateAttachmentDto, CreatedAttachmentDto } from '../dto/attachment.dto.js';

@ApiTags('attachments')
@ApiBearerAuth()
@Controller()
export class AttachmentsController {
  constructor(private readonly uploads: AttachmentUploadsService) {}

  @Post('rooms/:id/attachments')
  @ApiOperation({
    summary: 'Declare a file to attach to a message in this room',
    description:
      'Members only. Answers where to PUT exactly `size` bytes (to the object store when S3 is ' +
      'configured, else to this service), with no bearer token, within `expiresIn` seconds. ' +
      'Then send a message with the answered id in `attachmentIds`. An upload no message takes ' +
      'is deleted after 24 hours.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({ type: CreatedAttachmentDto })
  @ApiErrors(401, 429)
  @AttachmentRouteErrors.create
  async create(
    @CurrentUser() p: Principal,
    @UuidParam('id') roomId: string,
    @Body() body: CreateAttachmentDto,
  ): Promise<CreatedAttachmentDto> {
    return this.uploads.createUpload(p.userId, roomId, body);
  }

  @Get('attachments/:id')
  @Redirect(undefined, 302)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Redirect to a fresh signed download URL of an attachment',
    description:
      'Members of the attachment’s room (an upload not yet on a message: its uploader) get a ' +
      '302 to a URL that works without a token for ATTACHMENT_URL_TTL_SEC; everyone else a 404.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiResponse({ status: 302, description: 'Location: the signed download URL' })
  @ApiErrors(401, 429)
  @AttachmentRouteErrors.get
  async get(
    @CurrentUser() p: Principal,
    @UuidParam('id') id: string,
  ): Promise<{ url: string; statusCode: number }> {
    return { url: await this.uploads.freshUrlFor(p.userId, id), statusCode: 302 };
  }
}
