import { Module } from '@nestjs/common';
import { authConfig, type AuthConfig } from '../../config/configuration.js';
import { resolveJwtSecret } from '../auth/jwt-secret.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { AttachmentSweeper } from './attachment-sweeper.js';
import { AttachmentUploadsService, UploadReceiver } from './attachment-uploads.service.js';
import { AttachmentUrls } from './attachment-urls.js';
import { AttachmentsProtocolDocs } from './attachments.protocol.js';
import { attachmentsConfig, type AttachmentsConfig } from './attachments.config.js';
import { AttachmentLinks, deriveLinkKey } from './domain/attachment-links.js';
import { AttachmentRepository } from './domain/attachment.repository.js';
import { AttachmentStore } from './domain/attachment-store.js';
import { AttachmentTransferController } from './http/attachment-transfer.controller.js';
import { AttachmentsController } from './http/attachments.controller.js';
import { SqlAttachmentRepository } from './infrastructure/persistence/sql-attachment.repository.js';
import { LocalAttachmentStore } from './infrastructure/storage/local-attachment-store.js';
import { S3AttachmentStore } from './infrastructure/storage/s3-attachment-store.js';
import { MessageAttachments } from './message-attachments.service.js';

/**
 * Attachments (contract v2): uploads, the files a message carries, signed download URLs and
 * the sweeper. The store (ATTACHMENT_STORE: local or s3) is chosen here from the validated
 * configuration. The messages context binds uploads to messages through MessageAttachments;
 * every path that serves messages signs their URLs through AttachmentUrls.
 */
@Module({
  imports: [RoomsModule],
  controllers: [AttachmentsController, AttachmentTransferController],
  providers: [
    AttachmentsProtocolDocs,
    {
      provide: AttachmentLinks,
      useFactory: (auth: AuthConfig, cfg: AttachmentsConfig) =>
        new AttachmentLinks(deriveLinkKey(resolveJwtSecret(auth)), cfg.linkBaseUrl),
      inject: [authConfig.KEY, attachmentsConfig.KEY],
    },
    {
      provide: AttachmentStore,
      useFactory: async (cfg: AttachmentsConfig, links: AttachmentLinks) => {
        if (cfg.s3) return new S3AttachmentStore(cfg.s3);
        const local = new LocalAttachmentStore(cfg.dataDir, links);
        await local.init();
        return local;
      },
      inject: [attachmentsConfig.KEY, AttachmentLinks],
    },
    {
      // Only the local store has the service receive uploads (S3 takes them directly).
      provide: UploadReceiver,
      useFactory: (store: AttachmentStore) =>
        store instanceof LocalAttachmentStore ? store : null,
      inject: [AttachmentStore],
    },
    { provide: AttachmentRepository, useClass: SqlAttachmentRepository },
    AttachmentUploadsService,
    MessageAttachments,
    AttachmentUrls,
    AttachmentSweeper,
  ],
  exports: [MessageAttachments, AttachmentUrls],
})
export class AttachmentsModule {}
