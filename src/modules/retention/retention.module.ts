import { Module } from '@nestjs/common';
import { RoomsModule } from '../rooms/rooms.module.js';
import { RetentionRepository } from './domain/retention.repository.js';
import { RoomExportRepository } from './domain/room-export.repository.js';
import { SqlRetentionRepository } from './infrastructure/persistence/sql-retention.repository.js';
import { SqlRoomExportRepository } from './infrastructure/persistence/sql-room-export.repository.js';
import { RetentionSweeper } from './retention-sweeper.js';
import { RoomExportController } from './room-export.controller.js';
import { RoomExportService } from './room-export.service.js';

/**
 * Retention (the sweeper deleting messages and room events past a room's retention, once
 * across instances) and a room's export (GET /api/rooms/:id/export). A room's retentionDays is
 * a room setting (PATCH /api/rooms/:id, rooms context); its rule lives in ./domain.
 */
@Module({
  imports: [RoomsModule],
  controllers: [RoomExportController],
  providers: [
    RetentionSweeper,
    RoomExportService,
    { provide: RetentionRepository, useClass: SqlRetentionRepository },
    { provide: RoomExportRepository, useClass: SqlRoomExportRepository },
  ],
})
export class RetentionModule {}
