import type { Logger } from '@nestjs/common';

/**
 * A task run every `intervalMs` on this instance, never overlapping itself; its failures are
 * logged and the next round tries again. `stop()` waits for a round in flight.
 */
export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly task: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(runNow = false): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    if (runNow) this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.current;
  }

  private tick(): void {
    if (this.current) return;
    this.current = this.task()
      .catch((err: unknown) => this.log.warn({ err: String(err), task: this.name }, 'task failed'))
      .finally(() => {
        this.current = null;
      });
  }
}
