import { describe, expect, it } from '@jest/globals';
import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { createValidationPipe, VALIDATION_OPTIONS } from '../../../common/http/validation.js';
import { ReadDto, RoomRefDto, SendDto, SubscribeDto } from './ws.dto.js';

// The fast check of a frame (FastChecked) must never accept what the decorators refuse, and
// must build what the full pipeline builds. Each input below goes through both: the service's
// pipe, and a plain ValidationPipe with the same options (decorators only, no fast path).
const decoratorsOnly = new ValidationPipe(VALIDATION_OPTIONS);
const pipe = createValidationPipe();

const ROOM = '3f2b8c1e-7d4a-4e6b-9c1d-2a5e8f0b7c3d';
const OTHER = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

async function outcome(p: ValidationPipe, metatype: new () => object, value: unknown) {
  const meta: ArgumentMetadata = { type: 'body', metatype, data: undefined };
  try {
    const out = (await p.transform(value, meta)) as object;
    return { ok: true, instance: out.constructor.name, value: { ...out } };
  } catch (err) {
    return { ok: false, error: (err as { getResponse?: () => unknown }).getResponse?.() };
  }
}

const valid: Record<string, [new () => object, unknown][]> = {
  send: [
    [SendDto, { roomId: ROOM, content: 'hello', clientMsgId: 'c-1' }],
    [SendDto, { roomId: ROOM.toUpperCase(), content: 'x'.repeat(8000), clientMsgId: 'a:b.c_d-e' }],
    [SendDto, { roomId: ROOM, content: '😀', clientMsgId: 'e', threadRootId: OTHER }],
    [SendDto, { roomId: ROOM, content: 'files', clientMsgId: 'f', attachmentIds: [OTHER] }],
    [SendDto, { roomId: ROOM, content: 'as', clientMsgId: 'g', onBehalfOf: OTHER }],
  ],
  other: [
    [SubscribeDto, { roomId: ROOM }],
    [SubscribeDto, { roomId: ROOM, afterEventSeq: 0 }],
    [SubscribeDto, { roomId: ROOM, afterSeq: Number.MAX_SAFE_INTEGER }],
    [RoomRefDto, { roomId: ROOM }],
    [ReadDto, { roomId: ROOM, seq: 12 }],
  ],
};

const doubtful: [new () => object, unknown][] = [
  [SendDto, null],
  [SendDto, []],
  [SendDto, 'text'],
  [SendDto, { roomId: ROOM, content: '', clientMsgId: 'c' }],
  // A lone variation selector (the decorators count characters, not UTF-16 units).
  [SendDto, { roomId: ROOM, content: '\uFE0F', clientMsgId: 'c' }],
  [SendDto, { roomId: ROOM, content: 'x'.repeat(8001), clientMsgId: 'c' }],
  [SendDto, { roomId: ROOM, content: '😀'.repeat(4001), clientMsgId: 'c' }],
  [SendDto, { roomId: ROOM, content: 'hi', clientMsgId: 'has space' }],
  [SendDto, { roomId: ROOM, content: 'hi', clientMsgId: 'x'.repeat(65) }],
  [SendDto, { roomId: ROOM, content: 'hi' }],
  [SendDto, { roomId: 'not-a-uuid', content: 'hi', clientMsgId: 'c' }],
  [SendDto, { roomId: ROOM, content: 5, clientMsgId: 'c' }],
  [SendDto, { roomId: ROOM, content: 'hi', clientMsgId: 'c', extra: 1 }],
  [
    SendDto,
    JSON.parse(`{"roomId":"${ROOM}","content":"hi","clientMsgId":"c","__proto__":{"x":1}}`),
  ],
  [SendDto, { roomId: ROOM, content: 'hi', clientMsgId: 'c', threadRootId: null }],
  [SendDto, { roomId: ROOM, content: 'hi', clientMsgId: 'c', onBehalfOf: 'nobody' }],
  [SendDto, { roomId: ROOM, content: 'hi', clientMsgId: 'c', attachmentIds: OTHER }],
  [SendDto, { roomId: ROOM, content: 'hi', clientMsgId: 'c', attachmentIds: [OTHER, 7] }],
  [SendDto, { roomId: ROOM, content: 'hi', clientMsgId: 'c', attachmentIds: [] }],
  [SubscribeDto, { roomId: ROOM, afterEventSeq: -1 }],
  [SubscribeDto, { roomId: ROOM, afterEventSeq: 1.5 }],
  [SubscribeDto, { roomId: ROOM, afterEventSeq: '3' }],
  [SubscribeDto, { roomId: ROOM, afterSeq: Number.MAX_SAFE_INTEGER + 2 }],
  [SubscribeDto, { roomId: ROOM, afterSeq: null }],
  [RoomRefDto, { roomId: ROOM, more: true }],
  [RoomRefDto, { roomId: 42 }],
  [ReadDto, { roomId: ROOM }],
  [ReadDto, { roomId: ROOM, seq: -3 }],
  [ReadDto, { roomId: ROOM, seq: 1e300 }],
];

describe('WebSocket frames that check themselves', () => {
  it("each fast check's field list is exactly its class's decorated fields", () => {
    // `fields` is written by hand beside the decorators: a field listed there but not decorated
    // would pass the fast check where forbidNonWhitelisted refuses it.
    for (const type of [SendDto, SubscribeDto, RoomRefDto, ReadDto]) {
      const decorated = getMetadataStorage()
        .getTargetValidationMetadatas(type, '', false, false)
        .map((m) => m.propertyName);
      expect({ type: type.name, fields: [...type.fields].sort() }).toEqual({
        type: type.name,
        fields: [...new Set(decorated)].sort(),
      });
    }
  });

  it('the fast check accepts the ordinary valid frames', () => {
    for (const [type, value] of [...valid.send, ...valid.other])
      expect((type as unknown as { accepts(v: unknown): boolean }).accepts(value)).toBe(true);
  });

  it('the service pipe answers every input exactly as the decorators alone do', async () => {
    for (const [type, value] of [...valid.send, ...valid.other, ...doubtful]) {
      const want = await outcome(decoratorsOnly, type, value);
      const got = await outcome(pipe, type, value);
      expect({ input: value, ...got }).toEqual({ input: value, ...want });
    }
  });

  it('never accepts an input the decorators refuse (random frames)', async () => {
    // Small alphabets so that valid and almost-valid values both come up often.
    const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)];
    const values = [
      undefined,
      null,
      '',
      'x',
      '\uFE0E',
      ROOM,
      OTHER.slice(1),
      0,
      -1,
      2.5,
      7,
      Number.MAX_SAFE_INTEGER + 1,
      [],
      [OTHER],
      ['x'],
      {},
      'ok:1',
      'bad id',
      true,
    ];
    const keys = ['roomId', 'content', 'clientMsgId', 'threadRootId', 'seq', 'afterSeq', 'zz'];
    // From each valid frame, 0 to 2 fields replaced, dropped or added.
    const bases = [...valid.send, ...valid.other];
    let accepted = 0;
    for (let i = 0; i < 2000; i++) {
      const [type, base] = pick(bases);
      const value: Record<string, unknown> = { ...(base as Record<string, unknown>) };
      for (let n = Math.floor(Math.random() * 3); n > 0; n--) {
        const k = pick(keys);
        if (Math.random() < 0.2) delete value[k];
        else value[k] = pick(values);
      }
      if (!(type as unknown as { accepts(v: unknown): boolean }).accepts(value)) continue;
      accepted++;
      const want = await outcome(decoratorsOnly, type, value);
      expect({ input: value, ...want }).toMatchObject({ input: value, ok: true });
      expect(await outcome(pipe, type, value)).toEqual(want);
    }
    expect(accepted).toBeGreaterThan(200);
  });
});
