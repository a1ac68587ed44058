/**
 * Retrying with exponential back-off, for the bus drivers: a shared subscriber's failing handler
 * (both drivers) and a Kafka admin call the broker answers with a retriable error.
 */

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

/**
 * kafkajs errors that say "not now" rather than "never": connection trouble, a coordinator or
 * leader not there yet, retries used up on such an error. kafkajs calls some of them
 * non-retriable because it gives up on them itself; a caller with a deadline of its own (the
 * bus at boot) tries again.
 */
const TRANSIENT_KAFKA_ERRORS = new Set([
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
]);

/** isRetriable, or one of TRANSIENT_KAFKA_ERRORS, anywhere in the error's causes. */
export function isTransientKafkaError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const e = err as { name?: unknown; cause?: unknown; errors?: unknown };
  if (isRetriable(err) || TRANSIENT_KAFKA_ERRORS.has(String(e.name))) return true;
  if (Array.isArray(e.errors) && e.errors.some((x) => isTransientKafkaError(x, depth + 1)))
    return true;
  return isTransientKafkaError(e.cause, depth + 1);
}

export interface RetryOptions {
  /** Tries in all, the first included (default: no limit; give this or deadlineMs). */
  attempts?: number;
  /** Give up (rethrow the last error) once this much time has passed since the first try. */
  deadlineMs?: number;
  /** Wait before the second try; doubled after each further one. Default 100. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Whether this error is worth another try (default: every error). */
  shouldRetry?: (err: unknown) => boolean;
  /** Each wait ±20 %, so processes that failed together do not retry in step. */
  jitter?: boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Runs `fn`, repeating it with exponential back-off while it fails and the options allow. */
export async function retryWithBackoff<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const started = now();
  let delay = opts.initialDelayMs ?? 100;
  const maxDelay = opts.maxDelayMs ?? Infinity;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const left = opts.deadlineMs === undefined ? Infinity : opts.deadlineMs - (now() - started);
      const exhausted = opts.attempts !== undefined && attempt >= opts.attempts;
      if (exhausted || left <= 0 || !(opts.shouldRetry?.(err) ?? true)) throw err;
      const wait = Math.min(
        opts.jitter ? Math.round(delay * (0.8 + Math.random() * 0.4)) : delay,
        left,
      );
      opts.onRetry?.(err, attempt, wait);
      await sleep(wait);
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}
