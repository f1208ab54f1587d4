// intervalJoin: pairs of same-key events from two streams whose event times lie within [lower, upper] of each other.
import type { Observable } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import { mergeByWatermark } from "../core/mergeByWatermark.ts";
import type { Timed } from "./windowAggregates.ts";

export interface IntervalJoinOptions<L extends Timed, R extends Timed, O> {
  readonly leftKey: (l: L) => string;
  readonly rightKey: (r: R) => string;
  /** A pair matches when lowerNs <= right.tsEvent − left.tsEvent <= upperNs (lower may be negative). */
  readonly lowerNs: bigint;
  readonly upperNs: bigint;
  /** Builds the output of one matching pair; its event time should be the later of the two. */
  readonly combine: (left: L, right: R) => O;
  /** Most events kept per key on each side; the oldest is dropped first (default: no bound beyond time). */
  readonly maxPerKey?: number;
  /** Receives an event older than the join's watermark (it could no longer meet its partners in order). */
  readonly onLate: (item: L | R, side: "left" | "right", reason: string) => void;
}

interface Entry<T> {
  readonly item: T;
  readonly ts: bigint;
  readonly key: string;
}

/** One side's joinable events: per key in processing (= event-time) order, plus one queue for eviction. */
class SideState<T> {
  readonly byKey = new Map<string, Entry<T>[]>();
  private queue: Entry<T>[] = [];
  private head = 0;
  constructor(private readonly maxPerKey: number) {}

  /**
   * Keeps `e`, first dropping its key's entries that can no longer match (always the oldest, so the cap below
   * keeps the same live entries whether or not the watermark already evicted them).
   */
  add(e: Entry<T>, expired: (ts: bigint) => boolean): void {
    let list = this.byKey.get(e.key);
    if (list === undefined) {
      list = [];
      this.byKey.set(e.key, list);
    }
    while (list.length > 0 && expired(list[0]!.ts)) list.shift();
    list.push(e);
    if (list.length > this.maxPerKey) list.shift();
    this.queue.push(e);
  }

  /** Drops entries (oldest first) while `expired(ts)`. */
  evict(expired: (ts: bigint) => boolean): void {
    while (this.head < this.queue.length && expired(this.queue[this.head]!.ts)) {
      const e = this.queue[this.head++]!;
      const list = this.byKey.get(e.key);
      if (list !== undefined && list[0] === e) {
        list.shift();
        if (list.length === 0) this.byKey.delete(e.key);
      }
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/** Splits off the items with ts < w, stably sorted by event time; the rest stay in arrival order. */
/**
 * Interval join by event time. Both inputs are buffered until the smaller of their watermarks passes them,
 * then processed in event-time order (left before right at equal times, arrival order otherwise): each event is
 * matched against the other side's kept events of the same key, so every pair is emitted exactly once, when its
 * later event is processed. Kept events are evicted once the watermark shows no future partner can match
 * (left after t + upper, right after t − lower), and capped by maxPerKey. The output is a function of the two
 * input sequences alone, however they were batched or interleaved. Output watermark: min of the inputs'.
 *
 * @example
 * intervalJoin(quotes$, trades$, { leftKey: (q) => q.symbol, rightKey: (t) => t.symbol, lowerNs: 0n, upperNs: SECOND,
 *   combine: (q, t) => ({ ...t, spreadAtTrade: q.ask - q.bid }), onLate })
 */
export function intervalJoin<L extends Timed, R extends Timed, O>(
  left$: Observable<Chunk<L>>,
  right$: Observable<Chunk<R>>,
  options: IntervalJoinOptions<L, R, O>,
): Observable<Chunk<O>> {
  const { lowerNs: lower, upperNs: upper, combine } = options;
  if (lower > upper) throw new RangeError(`intervalJoin: lowerNs (${lower}) must be <= upperNs (${upper})`);
  const maxPerKey = options.maxPerKey ?? Number.POSITIVE_INFINITY;
  if (!(maxPerKey >= 1)) throw new RangeError(`intervalJoin: maxPerKey must be >= 1, got ${maxPerKey}`);
  return mergeByWatermark<L, R, O>(left$, right$, { first: "left", onLate: options.onLate }, () => {
    const lefts = new SideState<L>(maxPerKey);
    const rights = new SideState<R>(maxPerKey);
    return {
      onLeft(l, out) {
        const e: Entry<L> = { item: l, ts: l.tsEvent, key: options.leftKey(l) };
        const partners = rights.byKey.get(e.key);
        if (partners)
          for (const r of partners) {
            const d = r.ts - e.ts;
            if (d >= lower && d <= upper) out.push(combine(l, r.item));
          }
        if (upper >= 0n) lefts.add(e, (ts) => ts + upper < e.ts); // a later-processed right has ts >= l's, so it can only match if upper >= 0
      },
      onRight(r, out) {
        const e: Entry<R> = { item: r, ts: r.tsEvent, key: options.rightKey(r) };
        const partners = lefts.byKey.get(e.key);
        if (partners)
          for (const l of partners) {
            const d = e.ts - l.ts;
            if (d >= lower && d <= upper) out.push(combine(l.item, r));
          }
        if (lower < 0n) rights.add(e, (ts) => ts - lower < e.ts); // a later-processed left has a strictly later ts (ties go left first), so r − l < 0
      },
      onWatermark(w) {
        // Future events have ts >= w.
        lefts.evict((ts) => ts + upper < w);
        rights.evict((ts) => ts - lower < w);
      },
    };
  });
}
