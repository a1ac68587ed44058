import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { PreparedQueries } from '../../../../infrastructure/database/prepared.js';
import { view } from '../../../messages/infrastructure/persistence/sql-message.repository.js';
import { RoomExportRepository, type ExportPage } from '../../domain/room-export.repository.js';

/**
 * Keyset pages by the messages primary key (room_id, seq): each page is an index range scan
 * however far into the room it is, and a page is a short read, not a transaction held open for
 * the whole export. Each row comes back as its JSON text (the one Message shape, the messages
 * context's view), so nothing is parsed and re-serialised here.
 */
@Injectable()
export class SqlRoomExportRepository extends RoomExportRepository {
  private readonly prepared: PreparedQueries;

  constructor(@InjectDataSource() ds: DataSource) {
    super();
    this.prepared = new PreparedQueries(ds);
  }

  async pageAfter(input: {
    roomId: string;
    readerId: string;
    afterSeq: number;
    uptoSeq: number;
    limit: number;
  }): Promise<ExportPage | null> {
    const rows = await this.prepared.query<{ seq: string; line: string }>(
      'room_export_page',
      `SELECT p.seq, p.v::text AS line FROM (
         SELECT m.seq, ${view('$5')}
           FROM messages m JOIN users u ON u.id = m.user_id
          WHERE m.room_id = $1 AND m.seq > $2 AND m.seq <= $3
          ORDER BY m.seq LIMIT $4) p
        ORDER BY p.seq`,
      [input.roomId, input.afterSeq, input.uptoSeq, input.limit, input.readerId],
    );
    if (rows.length === 0) return null;
    return { lines: rows.map((r) => r.line), lastSeq: Number(rows[rows.length - 1].seq) };
  }
}
