import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { rowsOf } from '../../../../infrastructure/database/rows.js';
import type { Attachment } from '../../domain/attachment.js';
import {
  AttachmentRepository,
  type ClaimRequest,
  type NewAttachment,
} from '../../domain/attachment.repository.js';

interface Row {
  id: string;
  room_id: string;
  uploader_id: string;
  object_key: string;
  filename: string;
  content_type: string;
  size: string;
  created_at: Date;
  uploaded_at: Date | null;
  message_id: string | null;
}

const COLUMNS = `id, room_id, uploader_id, object_key, filename, content_type, size, created_at, uploaded_at, message_id`;

const toAttachment = (r: Row): Attachment => ({
  id: r.id,
  roomId: r.room_id,
  uploaderId: r.uploader_id,
  objectKey: r.object_key,
  filename: r.filename,
  contentType: r.content_type,
  size: Number(r.size),
  createdAt: r.created_at,
  uploadedAt: r.uploaded_at,
  messageId: r.message_id,
});

/** In the order the ids were given (a message's attachments keep the sender's order). */
const inOrder = (ids: readonly string[], rows: Row[]): Attachment[] => {
  const byId = new Map(rows.map((r) => [r.id, toAttachment(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
};

/** A claim older than this is a send that died between its claim and its bind or release. */
const STALE_CLAIM = `interval '5 minutes'`;

@Injectable()
export class SqlAttachmentRepository extends AttachmentRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {
    super();
  }

  async create(a: NewAttachment): Promise<Attachment> {
    const [row] = await this.ds.query<Row[]>(
      `INSERT INTO attachments (room_id, uploader_id, object_key, filename, content_type, size)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [a.roomId, a.uploaderId, a.objectKey, a.filename, a.contentType, a.size],
    );
    return toAttachment(row);
  }

  async findById(id: string): Promise<Attachment | null> {
    const [row] = await this.ds.query<Row[]>(`SELECT ${COLUMNS} FROM attachments WHERE id = $1`, [
      id,
    ]);
    return row ? toAttachment(row) : null;
  }

  async markUploaded(id: string): Promise<boolean> {
    const rows = rowsOf<{ id: string }>(
      await this.ds.query(
        `UPDATE attachments SET uploaded_at = clock_timestamp()
          WHERE id = $1 AND uploaded_at IS NULL RETURNING id`,
        [id],
      ),
    );
    return rows.length > 0;
  }

  async claim(req: ClaimRequest): Promise<Attachment[]> {
    const result: unknown = await this.ds.query(
      `UPDATE attachments SET claim_token = $4, claimed_at = clock_timestamp()
        WHERE id = ANY($1::uuid[]) AND room_id = $2 AND uploader_id = $3 AND message_id IS NULL
          AND (claim_token IS NULL OR claimed_at < clock_timestamp() - ${STALE_CLAIM})
        RETURNING ${COLUMNS}`,
      [req.ids, req.roomId, req.senderId, req.token],
    );
    return inOrder(req.ids, rowsOf<Row>(result));
  }

  async boundToSend(
    ids: readonly string[],
    senderId: string,
    clientMsgId: string,
  ): Promise<Attachment[]> {
    const rows = await this.ds.query<Row[]>(
      `SELECT ${COLUMNS.split(', ')
        .map((c) => `a.${c}`)
        .join(', ')}
         FROM attachments a JOIN messages m ON m.room_id = a.room_id AND m.seq = a.message_seq
        WHERE a.id = ANY($1::uuid[]) AND m.user_id = $2 AND m.client_msg_id = $3`,
      [ids, senderId, clientMsgId],
    );
    return inOrder(ids, rows);
  }

  async claimed(token: string): Promise<number> {
    const [row] = await this.ds.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM attachments WHERE claim_token = $1`,
      [token],
    );
    return row.n;
  }

  async release(token: string): Promise<void> {
    await this.ds.query(
      `UPDATE attachments SET claim_token = NULL, claimed_at = NULL WHERE claim_token = $1`,
      [token],
    );
  }

  async sweepMessage(
    roomId: string,
    seq: number,
    removeObjects: (keys: string[]) => Promise<void>,
  ): Promise<void> {
    const rows = await this.ds.query<{ id: string; object_key: string }[]>(
      `SELECT id, object_key FROM attachments WHERE room_id = $1 AND message_seq = $2`,
      [roomId, seq],
    );
    if (rows.length === 0) return;
    await removeObjects(rows.map((r) => r.object_key));
    await this.ds.query(`DELETE FROM attachments WHERE id = ANY($1::uuid[])`, [
      rows.map((r) => r.id),
    ]);
  }

  async sweep(
    unboundBefore: Date,
    limit: number,
    removeObjects: (keys: string[]) => Promise<void>,
  ): Promise<number> {
    return this.ds.transaction(async (m) => {
      // One instance at a time: the others skip the round (the lock is this transaction's).
      const [{ got }] = await m.query<{ got: boolean }[]>(
        `SELECT pg_try_advisory_xact_lock(hashtext('chat:attachment-sweep')) AS got`,
      );
      if (!got) return -1;
      const rows = await m.query<{ id: string; object_key: string }[]>(
        `SELECT a.id, a.object_key FROM attachments a
          WHERE a.message_seq IS NULL AND a.created_at < $1
         UNION ALL
         SELECT a.id, a.object_key FROM attachments a
          WHERE a.message_seq IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM messages m
                             WHERE m.room_id = a.room_id AND m.seq = a.message_seq AND m.deleted_at IS NULL)
         LIMIT $2`,
        [unboundBefore, limit],
      );
      if (rows.length === 0) return 0;
      await removeObjects(rows.map((r) => r.object_key));
      await m.query(`DELETE FROM attachments WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }
}
