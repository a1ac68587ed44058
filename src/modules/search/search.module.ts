import { Module } from '@nestjs/common';
import { AttachmentsModule } from '../attachments/attachments.module.js';
import { RoomsModule } from '../rooms/rooms.module.js';
import { MessageSearchRepository } from './domain/message-search.repository.js';
import { SearchIndexCleaner } from './infrastructure/persistence/search-index-cleaner.js';
import { SqlMessageSearchRepository } from './infrastructure/persistence/sql-message-search.repository.js';
import { SearchController } from './search.controller.js';
import { SearchService } from './search.service.js';

/** Message search (GET /api/search/messages), on PostgreSQL's own indexes of messages. */
@Module({
  imports: [RoomsModule, AttachmentsModule],
  controllers: [SearchController],
  providers: [
    SearchService,
    SearchIndexCleaner,
    { provide: MessageSearchRepository, useClass: SqlMessageSearchRepository },
  ],
})
export class SearchModule {}
