// An in-memory MessageRepository for services' unit tests (not built into dist: *.fake.ts is
// excluded). It keeps the SQL repository's contract as the services rely on it.
import type { RoomEvent, RoomEventDraft } from '../../../common/events/chat-events.js';
import type { HistoryQuery, Message } from '../domain/message.js';
import {
  MessageRepository,
  type Appended,
  type Changed,
  type MessageChange,
  type NewMessage,
  type RenderedPage,
} from '../domain/message.repository.js';

/**
 * The MessageRepository contract in memory: a gapless seq and eventSeq per room, one message per
 * (author, clientMsgId), changes and reactions decided by the caller's rules on the current
 * message, an event only when something changed. Rooms listed in `gone` store nothing.
 */
export class InMemoryMessages extends MessageRepository {
  readonly byRoom = new Map<string, Message[]>();
  readonly eventSeq = new Map<string, number>();
  readonly reactions = new Map<string, Map<string, Set<string>>>(); // message id -> emoji -> users
  readonly gone = new Set<string>();
  /** First seq still kept per room (retention). */
  readonly retainedFrom = new Map<string, number>();
  appends = 0;
  private ids = 0;

  appendToRoom(msg: NewMessage): Promise<Appended | null> {
    this.appends++;
    if (this.gone.has(msg.roomId)) return Promise.resolve(null);
    if (msg.clientMsgId) {
      const first = [...this.byRoom.values()]
        .flat()
        .find((m) => m.userId === msg.userId && m.clientMsgId === msg.clientMsgId);
      if (first) return Promise.resolve({ message: first, event: null, created: false });
    }
    const room = this.room(msg.roomId);
    const message: Message = {
      id: `m${++this.ids}`,
      roomId: msg.roomId,
      seq: room.length + 1,
      userId: msg.userId,
      username: msg.userId.slice(-1),
      content: msg.content,
      type: msg.type,
      clientMsgId: msg.clientMsgId,
      createdAt: new Date().toISOString(),
      sentBy: msg.sentBy ?? null,
      deletedAt: null,
      deleted: false,
      editedAt: null,
      threadRootId: msg.threadRootId ?? null,
      thread: null,
      mentions: [],
      reactions: [],
      attachments: msg.attachments ?? [],
    };
    room.push(message);
    const event = this.record(msg.roomId, {
      event: 'message.new',
      data: { ...message },
    });
    return Promise.resolve({ message, event, created: true });
  }

  findAfterSeq(roomId: string, afterSeq: number, limit: number): Promise<Message[]> {
    return Promise.resolve(
      this.kept(roomId)
        .filter((m) => m.seq > afterSeq)
        .slice(0, limit),
    );
  }

  readPage(roomId: string, q: HistoryQuery): Promise<RenderedPage> {
    const all = this.kept(roomId);
    const picked =
      q.kind === 'after'
        ? all.filter((m) => m.seq > q.seq).slice(0, q.limit + 1)
        : (q.kind === 'before' ? all.filter((m) => m.seq < q.seq) : all).slice(-(q.limit + 1));
    const more = picked.length > q.limit;
    const items = q.kind === 'after' ? picked.slice(0, q.limit) : picked.slice(more ? 1 : 0);
    return Promise.resolve({
      itemsJson: JSON.stringify(items),
      firstSeq: items[0]?.seq ?? null,
      lastSeq: items.at(-1)?.seq ?? null,
      more,
      withAttachments: items.some((m) => m.attachments.length > 0),
    });
  }

  findById(roomId: string, id: string): Promise<Message | null> {
    return Promise.resolve(this.room(roomId).find((m) => m.id === id) ?? null);
  }

  async change(
    roomId: string,
    id: string,
    decide: (current: Message) => MessageChange,
  ): Promise<Changed | null> {
    const current = await this.findById(roomId, id);
    if (!current) return null;
    const change = decide(current);
    const at = new Date().toISOString();
    if (change.kind === 'none') return { message: current, event: null };
    if (change.kind === 'edit') {
      Object.assign(current, { content: change.content, editedAt: at });
      const { seq, content } = current;
      const data = { roomId, id, seq, content, editedAt: at, mentions: [] };
      return { message: current, event: this.record(roomId, { event: 'message.edited', data }) };
    }
    Object.assign(current, { content: '', deleted: true, deletedAt: at });
    const data = { roomId, id, seq: current.seq };
    return { message: current, event: this.record(roomId, { event: 'message.deleted', data }) };
  }

  async react(
    roomId: string,
    id: string,
    userId: string,
    emoji: string,
    add: boolean,
    check: (current: Message, distinct: number, there: boolean) => void,
  ): Promise<Changed | null> {
    const current = await this.findById(roomId, id);
    if (!current) return null;
    const byEmoji = this.reactions.get(id) ?? new Map<string, Set<string>>();
    this.reactions.set(id, byEmoji);
    check(current, byEmoji.size, byEmoji.has(emoji));
    const users = byEmoji.get(emoji) ?? new Set<string>();
    if (users.has(userId) === add) return { message: current, event: null };
    if (add) byEmoji.set(emoji, users.add(userId));
    else if (users.delete(userId) && users.size === 0) byEmoji.delete(emoji);
    const data = { roomId, messageId: id, seq: current.seq, emoji, userId };
    const event = this.record(roomId, { event: add ? 'reaction.added' : 'reaction.removed', data });
    return { message: current, event };
  }

  private room(roomId: string): Message[] {
    const list = this.byRoom.get(roomId) ?? [];
    this.byRoom.set(roomId, list);
    return list;
  }

  private kept(roomId: string): Message[] {
    const from = this.retainedFrom.get(roomId) ?? 1;
    return this.room(roomId).filter((m) => m.seq >= from);
  }

  private record(roomId: string, draft: RoomEventDraft): RoomEvent {
    const eventSeq = (this.eventSeq.get(roomId) ?? 0) + 1;
    this.eventSeq.set(roomId, eventSeq);
    return {
      eventSeq,
      event: draft.event,
      data: { ...draft.data, eventSeq },
      createdAt: new Date().toISOString(),
    } as RoomEvent;
  }
}
