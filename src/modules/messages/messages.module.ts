import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { MessageRepository } from './domain/message.repository.js';
import { SqlMessageRepository } from './infrastructure/persistence/sql-message.repository.js';
import { MessagesController } from './messages.controller.js';
import { MessagesService } from './messages.service.js';
import { MessagesProtocolDocs } from './messages.protocol.js';

@Module({
  imports: [RoomsModule, AttachmentsModule],
  controllers: [MessagesController],
  providers: [
    MessagesProtocolDocs,
    MessagesService,
    { provide: MessageRepository, useClass: SqlMessageRepository },
  ],
  exports: [MessagesService],
})
export class MessagesModule {}
