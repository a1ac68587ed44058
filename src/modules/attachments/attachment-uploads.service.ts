import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { Errors } from '../../common/errors/domain-error.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { attachmentsConfig, type AttachmentsConfig } from './attachments.config.js';
import {
  checkDeclaration,
  newObjectKey,
  type Attachment,
  type UploadDeclaration,
} from './domain/attachment.js';
import { AttachmentErrorCodes as C } from './domain/attachment-errors.js';
import { AttachmentLinks } from './domain/attachment-links.js';
import { AttachmentRepository } from './domain/attachment.repository.js';
import {
  AttachmentStore,
  type Download,
  type StoredObjectInfo,
  type UploadTarget,
} from './domain/attachment-store.js';

export interface CreatedUpload {
  id: string;
  upload: UploadTarget;
  expiresIn: number;
}

/** Receives the bytes of an upload (only the local store has the service do that). */
export abstract class UploadReceiver {
  abstract receive(key: string, body: Readable, size: number): Promise<void>;
}

const objectOf = (a: Attachment): StoredObjectInfo => ({
  key: a.objectKey,
  size: a.size,
  contentType: a.contentType,
  filename: a.filename,
});

/**
 * Uploads and downloads: a member declares a file and gets where to PUT it; readers get its
 * bytes through signed links. What a message carries is MessageAttachments' job.
 */
@Injectable()
export class AttachmentUploadsService {
  constructor(
    private readonly repo: AttachmentRepository,
    private readonly store: AttachmentStore,
    private readonly links: AttachmentLinks,
    private readonly rooms: RoomsService,
    @Inject(attachmentsConfig.KEY) private readonly cfg: AttachmentsConfig,
  ) {}

  async createUpload(
    userId: string,
    roomId: string,
    declared: UploadDeclaration,
  ): Promise<CreatedUpload> {
    const d = checkDeclaration(declared, this.cfg.maxBytes);
    await this.rooms.assertMember(userId, roomId);
    const a = await this.repo.create({
      roomId,
      uploaderId: userId,
      objectKey: newObjectKey(),
      ...d,
    });
    const upload = await this.store.uploadTarget(a.id, objectOf(a), this.cfg.uploadTtlSec);
    return { id: a.id, upload, expiresIn: this.cfg.uploadTtlSec };
  }

  /** The body of a PUT to a local upload link. */
  async receiveUpload(
    receiver: UploadReceiver,
    id: string,
    link: { expires: unknown; signature: unknown },
    body: Readable,
    contentLength: string | undefined,
  ): Promise<void> {
    this.checkLink('upload', id, link);
    const a = await this.repo.findById(id);
    if (!a) throw this.notFound();
    if (a.uploadedAt)
      throw Errors.conflict(C.alreadyUploaded, 'this attachment was already uploaded');
    // A declared length that is not the declared size: refused before a byte is read.
    if (contentLength !== undefined && Number(contentLength) !== a.size)
      throw Errors.validation(
        C.sizeMismatch,
        `Content-Length is ${contentLength}; ${a.size} bytes were declared`,
      );
    await receiver.receive(a.objectKey, body, a.size);
    await this.repo.markUploaded(id);
  }

  /** A download link (no bearer token): the bytes, or a redirect to the store. */
  async downloadByLink(
    id: string,
    link: { expires: unknown; signature: unknown },
  ): Promise<{ attachment: Attachment; download: Download }> {
    this.checkLink('download', id, link);
    const a = await this.repo.findById(id);
    const download = a ? await this.store.download(objectOf(a), this.cfg.urlTtlSec) : null;
    if (!a || !download) throw this.notFound();
    return { attachment: a, download };
  }

  /**
   * GET /api/attachments/:id with a bearer token: a fresh download URL for a member of the
   * attachment's room (an upload no message took yet: its uploader only). Everyone else: 404,
   * whether or not it exists.
   */
  async freshUrlFor(userId: string, id: string): Promise<string> {
    const a = await this.repo.findById(id);
    if (!a || (a.messageId === null && a.uploaderId !== userId)) throw this.notFound();
    try {
      await this.rooms.assertMember(userId, a.roomId);
    } catch {
      throw this.notFound();
    }
    if (this.store.name !== 'local') {
      const d = await this.store.download(objectOf(a), this.cfg.urlTtlSec);
      if (d?.kind === 'redirect') return d.url;
    }
    if ((await this.store.sizeOf(a.objectKey)) === null) throw this.notFound();
    return this.links.sign('download', a.id, this.cfg.urlTtlSec).url;
  }

  private checkLink(
    purpose: 'upload' | 'download',
    id: string,
    link: { expires: unknown; signature: unknown },
  ): void {
    const v = this.links.verify(purpose, id, link.expires, link.signature);
    if (v === 'expired') throw Errors.forbidden(C.linkInvalid, `this ${purpose} link has expired`);
    if (v !== 'ok') throw Errors.forbidden(C.linkInvalid, `this ${purpose} link is not valid`);
  }

  private notFound() {
    return Errors.notFound(C.notFound, 'attachment not found');
  }
}
