import { describe, expect, it } from '@jest/globals';
import { isRetriable, isTransientKafkaError, retryWithBackoff } from './retry.js';

function retriable(message: string): Error {
  return Object.assign(new Error(message), { retriable: true });
}

/** A fake clock: sleeping advances it, so the deadline is exercised without waiting. */
function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: (ms: number) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
  };
}

describe('retryWithBackoff', () => {
  it('repeats a retriable failure with doubling back-off until it succeeds', async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await retryWithBackoff(
      () => {
        calls++;
        if (calls < 4) return Promise.reject(retriable('coordinator loading'));
        return Promise.resolve('offsets');
      },
      {
        deadlineMs: 30_000,
        initialDelayMs: 100,
        maxDelayMs: 300,
        shouldRetry: isRetriable,
        ...clock,
      },
    );
    expect(result).toBe('offsets');
    expect(calls).toBe(4);
    expect(clock.sleeps).toEqual([100, 200, 300]);
  });

  it('rethrows a non-retriable error at once', async () => {
    const clock = fakeClock();
    let calls = 0;
    await expect(
      retryWithBackoff(
        () => {
          calls++;
          return Promise.reject(new Error('group has running members'));
        },
        { deadlineMs: 30_000, shouldRetry: isRetriable, ...clock },
      ),
    ).rejects.toThrow('group has running members');
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('gives up with the last error once the deadline has passed', async () => {
    const clock = fakeClock();
    let calls = 0;
    await expect(
      retryWithBackoff(() => Promise.reject(retriable(`still loading ${++calls}`)), {
        deadlineMs: 1_000,
        initialDelayMs: 400,
        maxDelayMs: 400,
        ...clock,
      }),
    ).rejects.toThrow('still loading 4');
    // 400 + 400 + the 200 left of the deadline, then the fourth attempt fails past it.
    expect(clock.sleeps).toEqual([400, 400, 200]);
  });

  it('stops after the given number of attempts, whatever the error', async () => {
    const clock = fakeClock();
    let calls = 0;
    await expect(
      retryWithBackoff(() => Promise.reject(new Error(`handler failed ${++calls}`)), {
        attempts: 3,
        initialDelayMs: 200,
        ...clock,
      }),
    ).rejects.toThrow('handler failed 3');
    expect(clock.sleeps).toEqual([200, 400]);
  });

  it('recognises kafkajs retriable errors by their flag only', () => {
    expect(isRetriable(retriable('x'))).toBe(true);
    expect(isRetriable(Object.assign(new Error('x'), { retriable: false }))).toBe(false);
    expect(isRetriable(new Error('x'))).toBe(false);
    expect(isRetriable('retriable')).toBe(false);
    expect(isRetriable(null)).toBe(false);
  });

  it('counts kafkajs give-ups on transient trouble as worth another try, not configuration errors', () => {
    const named = (name: string, extra: object = {}) =>
      Object.assign(new Error(name), { name, retriable: false, ...extra });
    // What a broker outage or a starting cluster throws (kafkajs calls some non-retriable).
    expect(isTransientKafkaError(named('KafkaJSGroupCoordinatorNotFound'))).toBe(true);
    expect(isTransientKafkaError(named('KafkaJSConnectionError'))).toBe(true);
    expect(
      isTransientKafkaError(named('KafkaJSNumberOfRetriesExceeded', { cause: retriable('x') })),
    ).toBe(true);
    expect(isTransientKafkaError(retriable('UNKNOWN_TOPIC_OR_PARTITION'))).toBe(true);
    expect(
      isTransientKafkaError(
        Object.assign(new Error('agg'), {
          name: 'KafkaJSAggregateError',
          errors: [retriable('y')],
        }),
      ),
    ).toBe(true);
    // What retrying cannot fix.
    expect(isTransientKafkaError(named('KafkaJSSASLAuthenticationError'))).toBe(false);
    expect(isTransientKafkaError(named('KafkaJSProtocolError'))).toBe(false);
    expect(isTransientKafkaError(new Error('x'))).toBe(false);
  });

  it('jitters each wait by at most a fifth', async () => {
    const clock = fakeClock();
    let calls = 0;
    await retryWithBackoff(
      async () => {
        if (++calls < 20) throw new Error('again');
      },
      { initialDelayMs: 1000, maxDelayMs: 1000, jitter: true, ...clock },
    );
    expect(clock.sleeps).toHaveLength(19);
    for (const s of clock.sleeps) expect(s).toBeGreaterThanOrEqual(800);
    for (const s of clock.sleeps) expect(s).toBeLessThanOrEqual(1200);
    expect(new Set(clock.sleeps).size).toBeGreaterThan(1);
  });
});
