import { describe, expect, it } from '@jest/globals';
import type { PreparedQueries } from '../../../../infrastructure/database/prepared.js';
import type { NewMessage } from '../../domain/message.repository.js';
import { AppendBatcher, type AppendOutcome } from './append-batcher.js';

/** One statement the batcher sent: its rooms and contents, settled by the test. */
interface Call {
  rooms: string[];
  contents: string[];
  finish(): void;
  fail(err: Error): void;
}

/**
 * An in-memory stand-in for the database: it records each append statement and answers it only
 * when the test says so, numbering the rows the way the real statement does (ord = position).
 */
class FakeDb {
  readonly calls: Call[] = [];
  private open = 0;
  maxOpen = 0;

  query<T>(_name: string, _text: string, values: unknown[]): Promise<T[]> {
    const rooms = values[0] as string[];
    const contents = values[2] as string[];
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    return new Promise<T[]>((resolve, reject) => {
      this.calls.push({
        rooms,
        contents,
        finish: () => {
          this.open--;
          resolve(
            rooms.map((_r, i) => ({
              data: { content: contents[i], eventSeq: 0 },
              event_seq: '0',
              event_created_at: '',
              ord: String(i + 1),
            })) as T[],
          );
        },
        fail: (err) => {
          this.open--;
          reject(err);
        },
      });
    });
  }
}

function send(roomId: string, content: string): NewMessage {
  return { roomId, userId: 'u1', content, type: 'text', clientMsgId: null };
}

/** Waits until the fake has seen `n` statements (the batcher flushes on setImmediate). */
async function untilCalls(db: FakeDb, n: number): Promise<void> {
  for (let i = 0; i < 1000 && db.calls.length < n; i++) await new Promise(setImmediate);
  expect(db.calls.length).toBeGreaterThanOrEqual(n);
}

/** Lets every pending turn run, so a statement that would start has started. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise(setImmediate);
}

function batcher(db: FakeDb, maxBatch = 100, maxInFlight = 4): AppendBatcher {
  return new AppendBatcher(
    db as unknown as PreparedQueries,
    false,
    () => Promise.resolve(null),
    maxBatch,
    maxInFlight,
  );
}

const contentOf = (o: AppendOutcome) =>
  o && 'stored' in o ? (o.stored.data as unknown as { content: string }).content : null;

describe('AppendBatcher', () => {
  it('puts the sends of one turn in one statement, in arrival order', async () => {
    const db = new FakeDb();
    const b = batcher(db);
    const done = Promise.all(['a', 'b', 'c'].map((c) => b.append(send('r1', c))));
    await untilCalls(db, 1);
    expect(db.calls[0].contents).toEqual(['a', 'b', 'c']);
    db.calls[0].finish();
    expect((await done).map(contentOf)).toEqual(['a', 'b', 'c']);
  });

  it('never runs two statements for one room at once: a later send waits for the earlier one', async () => {
    const db = new FakeDb();
    const b = batcher(db);
    const first = b.append(send('r1', 'first'));
    await untilCalls(db, 1);
    const second = b.append(send('r1', 'second'));
    await settle();
    // While the first statement runs, the room's next send stays queued.
    expect(db.calls).toHaveLength(1);
    db.calls[0].finish();
    await untilCalls(db, 2);
    expect(db.calls[1].contents).toEqual(['second']);
    db.calls[1].finish();
    expect(contentOf(await first)).toBe('first');
    expect(contentOf(await second)).toBe('second');
    expect(db.maxOpen).toBe(1);
  });

  it('runs statements for different rooms at the same time', async () => {
    const db = new FakeDb();
    const b = batcher(db);
    const first = b.append(send('r1', 'one'));
    await untilCalls(db, 1);
    const other = b.append(send('r2', 'two'));
    await untilCalls(db, 2);
    expect(db.maxOpen).toBe(2);
    db.calls[1].finish();
    db.calls[0].finish();
    expect(contentOf(await other)).toBe('two');
    expect(contentOf(await first)).toBe('one');
  });

  it('keeps a busy room queued while other rooms go ahead, then sends its queue in order', async () => {
    const db = new FakeDb();
    const b = batcher(db);
    const a1 = b.append(send('r1', 'a1'));
    await untilCalls(db, 1);
    const rest = [
      b.append(send('r1', 'a2')),
      b.append(send('r2', 'b1')),
      b.append(send('r1', 'a3')),
    ];
    await untilCalls(db, 2);
    expect(db.calls[1].rooms).toEqual(['r2']);
    db.calls[1].finish();
    db.calls[0].finish();
    await untilCalls(db, 3);
    expect(db.calls[2].contents).toEqual(['a2', 'a3']);
    db.calls[2].finish();
    expect([await a1, ...(await Promise.all(rest))].map(contentOf)).toEqual([
      'a1',
      'a2',
      'b1',
      'a3',
    ]);
  });

  it('leaves the rest of a room that does not fit in a batch for the next one, behind it', async () => {
    const db = new FakeDb();
    const b = batcher(db, 2);
    const all = Promise.all(['x1', 'x2', 'x3'].map((c) => b.append(send('r1', c))));
    await untilCalls(db, 1);
    await settle();
    expect(db.calls).toHaveLength(1);
    expect(db.calls[0].contents).toEqual(['x1', 'x2']);
    db.calls[0].finish();
    await untilCalls(db, 2);
    expect(db.calls[1].contents).toEqual(['x3']);
    db.calls[1].finish();
    expect((await all).map(contentOf)).toEqual(['x1', 'x2', 'x3']);
  });

  it('retries a failed batch one send after another, in arrival order', async () => {
    const db = new FakeDb();
    const b = batcher(db);
    const all = Promise.all(['p', 'q', 'r'].map((c) => b.append(send('r1', c))));
    await untilCalls(db, 1);
    db.calls[0].fail(Object.assign(new Error('duplicate key'), { code: '23505' }));
    // Each retry starts only when the one before it has been answered.
    for (const [i, c] of ['p', 'q', 'r'].entries()) {
      await untilCalls(db, 2 + i);
      await settle();
      expect(db.calls).toHaveLength(2 + i);
      expect(db.calls[1 + i].contents).toEqual([c]);
      db.calls[1 + i].finish();
    }
    expect((await all).map(contentOf)).toEqual(['p', 'q', 'r']);
    expect(db.maxOpen).toBe(1);
  });

  it('keeps the room busy until its retries are done', async () => {
    const db = new FakeDb();
    const b = batcher(db);
    const first = b.append(send('r1', 'f'));
    await untilCalls(db, 1);
    db.calls[0].fail(Object.assign(new Error('duplicate key'), { code: '23505' }));
    await untilCalls(db, 2); // the retry of 'f'
    const later = b.append(send('r1', 'g'));
    await settle();
    expect(db.calls).toHaveLength(2);
    db.calls[1].finish();
    await untilCalls(db, 3);
    expect(db.calls[2].contents).toEqual(['g']);
    db.calls[2].finish();
    expect(contentOf(await first)).toBe('f');
    expect(contentOf(await later)).toBe('g');
  });
});
