// Highest or lowest of the last `size` values in O(1) amortised (monotonic deque): Stochastic's range.

import { checkPeriod } from "./types.ts";

export interface RollingExtremeState {
  mode: "max" | "min";
  size: number;
  seq: number;
  /** Deque content, oldest first: [value, sequence number] pairs. */
  entries: [number, number][];
}

/**
 * Keeps candidates in a ring of `size` slots, ordered so the head is the extreme; each value enters and leaves
 * once, so an update is O(1) amortised. Ties keep the newest entry, as TA-Lib's `tmp >= highest` does.
 */
export class RollingExtreme {
  readonly size: number;
  readonly mode: "max" | "min";
  private vals: Float64Array;
  private seqs: Float64Array;
  private head = 0;
  private len = 0;
  private seq = 0;

  constructor(size: number, mode: "max" | "min") {
    checkPeriod("RollingExtreme", "size", size);
    this.size = size;
    this.mode = mode;
    this.vals = new Float64Array(size);
    this.seqs = new Float64Array(size);
  }

  /** Adds `x` and returns the extreme of the window ending with it. */
  push(x: number): number {
    const { vals, seqs, size } = this;
    const isMax = this.mode === "max";
    // Drop candidates dominated by x from the tail.
    while (this.len > 0) {
      const tail = (this.head + this.len - 1) % size;
      const t = vals[tail]!;
      if (isMax ? t <= x : t >= x) this.len--;
      else break;
    }
    // Drop the head if it left the window.
    const seq = this.seq++;
    if (this.len > 0 && seqs[this.head]! <= seq - size) {
      this.head = (this.head + 1) % size;
      this.len--;
    }
    const slot = (this.head + this.len) % size;
    vals[slot] = x;
    seqs[slot] = seq;
    this.len++;
    return vals[this.head]!;
  }

  toState(): RollingExtremeState {
    const entries: [number, number][] = [];
    for (let i = 0; i < this.len; i++) {
      const slot = (this.head + i) % this.size;
      entries.push([this.vals[slot]!, this.seqs[slot]!]);
    }
    return { mode: this.mode, size: this.size, seq: this.seq, entries };
  }

  static fromState(state: RollingExtremeState): RollingExtreme {
    const r = new RollingExtreme(state.size, state.mode);
    state.entries.forEach(([v, s], i) => {
      r.vals[i] = v;
      r.seqs[i] = s;
    });
    r.len = state.entries.length;
    r.seq = state.seq;
    return r;
  }
}
