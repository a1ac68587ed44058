/** What one delete statement removed from a room. */
export interface SweptBatch {
  messages: number;
  events: number;
}

/**
 * Persistence port of the retention sweeper: one method per step, so the service owns the loop
 * (which rooms, how many batches, when to stop) and the adapter owns the SQL.
 */
export abstract class RetentionRepository {
  /**
   * Runs `sweep` while holding the cluster-wide sweep lock; `{ ran: false }` (and `sweep` not
   * called) when another instance holds it. A dead holder's lock goes with its connection.
   */
  abstract exclusively<T>(
    sweep: () => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }>;

  /**
   * Among the next `limit` rooms by id after `afterRoomId` (null: from the first), those whose
   * oldest room event is past their effective retention (the room's retentionDays, else
   * `serverDays`; neither: never). `next` is the id to go on from, null after the last room.
   */
  abstract roomsDue(
    afterRoomId: string | null,
    limit: number,
    serverDays: number | null,
  ): Promise<{ roomIds: string[]; next: string | null }>;

  /**
   * Deletes, in one short statement, the oldest expired room events of a room (at most `batch`,
   * a prefix of its log that stops at the first event still kept or not yet published) and the
   * messages whose message.new event is among them (their reactions and mentions go with them).
   * Never writes or locks the rooms row, so sends into the room go on meanwhile.
   */
  abstract deleteExpired(
    roomId: string,
    serverDays: number | null,
    batch: number,
  ): Promise<SweptBatch>;
}
