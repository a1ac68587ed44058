import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { ScheduledMessageRepository } from './domain/scheduled-message.repository.js';
import { SqlScheduledMessageRepository } from './infrastructure/persistence/sql-scheduled-message.repository.js';
import { ScheduledMessagesController } from './scheduled-messages.controller.js';
import { ScheduledMessagesService } from './scheduled-messages.service.js';
import { ScheduledSender } from './scheduled-sender.js';

/** Scheduled messages: the author's list and changes, and the sender on every instance. */
@Module({
  imports: [RoomsModule, MessagesModule],
  controllers: [ScheduledMessagesController],
  providers: [
    ScheduledMessagesService,
    ScheduledSender,
    { provide: ScheduledMessageRepository, useClass: SqlScheduledMessageRepository },
  ],
})
export class ScheduledMessagesModule {}
