/**
 * kafkajs marks errors a caller may simply repeat (a group coordinator still loading its offsets
 * after a broker start, a leader election in progress) with `retriable: true`. Its consumer and
 * producer retry those themselves; some admin calls (fetchOffsets, setOffsets) do not.
 */
export function isRetriable(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true
  );
}

export interface RetryOptions {
  /** Give up (rethrow the last error) once this much time has passed since the first attempt. */
  deadlineMs: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Runs `fn`, repeating it with exponential back-off while it fails with a retriable error. */
export async function retryWhileRetriable<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const started = now();
  let delay = opts.initialDelayMs ?? 100;
  const maxDelay = opts.maxDelayMs ?? 2000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const left = opts.deadlineMs - (now() - started);
      if (!isRetriable(err) || left <= 0) throw err;
      const wait = Math.min(delay, left);
      opts.onRetry?.(err, attempt, wait);
      await sleep(wait);
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}
