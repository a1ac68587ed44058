/** One page of a room's export: NDJSON lines (a Message as JSON each), oldest first. */
export interface ExportPage {
  lines: string[];
  /** seq of the page's last message: the keyset to go on from. */
  lastSeq: number;
}

/** Reads a room's messages for its export, a bounded page at a time (constant memory). */
export abstract class RoomExportRepository {
  /**
   * Up to `limit` messages with afterSeq < seq <= uptoSeq, in seq order, as they are now (edits
   * applied, deleted ones as tombstones), reactions' `me` for `readerId`; null when none.
   */
  abstract pageAfter(input: {
    roomId: string;
    readerId: string;
    afterSeq: number;
    uptoSeq: number;
    limit: number;
  }): Promise<ExportPage | null>;
}
