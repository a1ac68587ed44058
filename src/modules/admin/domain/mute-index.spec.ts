import { describe, expect, it } from '@jest/globals';
import { MuteIndex } from './mute-index.js';

describe('MuteIndex', () => {
  const index = new MuteIndex(
    [
      { roomId: 'r1', userId: 'u1', untilMs: 5000 },
      { roomId: 'r2', userId: 'u1', untilMs: 9000 },
    ],
    1000,
  );

  it('answers a mute only in its room and until its end', () => {
    expect(index.mutedUntil('r1', 'u1', 1000)).toBe(5000);
    expect(index.mutedUntil('r1', 'u1', 5000)).toBeNull();
    expect(index.mutedUntil('r2', 'u1', 5000)).toBe(9000);
    expect(index.mutedUntil('r1', 'u2', 1000)).toBeNull();
    expect(index.mutedUntil('r3', 'u1', 1000)).toBeNull();
  });

  it('is fresh for ttl milliseconds after loading; the empty index never is', () => {
    expect(index.isFresh(1999, 1000)).toBe(true);
    expect(index.isFresh(2000, 1000)).toBe(false);
    expect(MuteIndex.empty().isFresh(0, 1000)).toBe(false);
  });
});
