import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { SqlMessageRepository } from '../../src/modules/messages/infrastructure/persistence/sql-message.repository.js';
import { SqlRoomEventRepository } from '../../src/modules/room-events/infrastructure/persistence/sql-room-event.repository.js';
import { SqlRoomRepository } from '../../src/modules/rooms/infrastructure/persistence/sql-room.repository.js';
import { insertRoom, insertUser, openDataSource } from '../support/db.js';

describe('SqlRoomEventRepository on a real PostgreSQL', () => {
  let ds: DataSource;
  let events: SqlRoomEventRepository;
  let rooms: SqlRoomRepository;
  let owner: string;
  let room: string;

  beforeAll(async () => {
    ds = await openDataSource(5);
    events = new SqlRoomEventRepository(ds);
    rooms = new SqlRoomRepository(ds);
    const messages = new SqlMessageRepository(ds);
    owner = await insertUser(ds);
    room = await insertRoom(ds, owner);
    for (let i = 1; i <= 5; i++)
      await messages.appendToRoom({
        roomId: room,
        userId: owner,
        content: `m${i}`,
        type: 'text',
        clientMsgId: `c${i}`,
      });
  });
  afterAll(async () => {
    await ds.destroy();
  });

  it("a member's read: the room and membership as the rooms module reads them, and the page findAfter reads", async () => {
    const found = await events.findAfterAsMember(room, owner, 2, 2);
    expect(found).not.toBeNull();
    // The same room and membership as the access check's own read ...
    expect({ room: found!.room, membership: found!.membership }).toEqual(
      await rooms.findWithMembership(room, owner),
    );
    expect(found!.room.lastEventSeq).toBe(5);
    expect(found!.membership?.role).toBe('owner');
    // ... and the same events, in order, as the log's own page read.
    expect(found!.events.map((e) => e.eventSeq)).toEqual([3, 4]);
    expect(found!.events).toEqual(await events.findAfter(room, 2, 2));
    expect(found!.events[0]).toMatchObject({ event: 'message.new', data: { content: 'm3' } });
    expect((await events.findAfterAsMember(room, owner, 5, 50))!.events).toEqual([]);
  });

  it('reads no event for a caller who is not a member, and nothing for a missing room', async () => {
    const stranger = await insertUser(ds);
    const found = await events.findAfterAsMember(room, stranger, 0, 50);
    expect(found?.membership).toBeNull();
    expect(found?.room.id).toBe(room);
    expect(found?.events).toEqual([]);
    expect(await events.findAfterAsMember(randomUUID(), owner, 0, 50)).toBeNull();
  });
});
