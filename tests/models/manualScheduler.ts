// A BatchScheduler driven by hand: timers fire only when a test calls advance().
import type { BatchScheduler } from "../../models/microBatcher.ts";

export class ManualScheduler implements BatchScheduler {
  now = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get activeTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing due timers in time order. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
      if (due.length === 0) break;
      const [id, t] = due[0]!;
      this.timers.delete(id);
      this.now = t.at;
      t.fn();
    }
    this.now = target;
  }
}
