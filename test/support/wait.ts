// Polling with deadlines for tests that watch several processes: a condition is checked until it
// holds or the deadline passes, and a failure says what was last seen. Never a fixed sleep.

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Called on timeout: what the condition last looked like, for the error message. */
  describe?: () => string;
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves with the first truthy value `check` returns (sync or async); a check that throws
 * counts as "not yet", and its last error goes into the timeout message.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  opts: WaitOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      lastErr = undefined;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const seen = opts.describe ? `; last seen: ${opts.describe()}` : '';
      const err =
        lastErr === undefined
          ? ''
          : `; last error: ${lastErr instanceof Error ? lastErr.message : JSON.stringify(lastErr)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}${err}`);
    }
    await delay(intervalMs);
  }
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight; results in input order. */
export async function mapPool<I, O>(
  items: readonly I[],
  concurrency: number,
  fn: (item: I, index: number) => Promise<O>,
): Promise<O[]> {
  const out = new Array<O>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}
