// intervalJoin: pairs of same-key events from two streams whose event times lie within [lower, upper] of each other.
import type { Observable } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import { mergeByWatermark } from "../core/mergeByWatermark.ts";
import type { StateSpec } from "../core/state.ts";
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

/** A kept event; `seq` numbers the side's events in processing order (identity that survives a checkpoint). */
interface Kept<T> {
  readonly item: T;
  readonly seq: number;
}

/** An eviction-queue entry: where to find the kept event. */
interface Queued {
  readonly key: string;
  readonly ts: bigint;
  readonly seq: number;
}

/** One side's joinable events: per key in processing (= event-time) order, plus one queue for eviction. */
interface IntervalSide<T> {
  readonly byKey: Map<string, Kept<T>[]>;
  queue: Queued[];
  /** Index of the first queue entry not yet evicted. */
  head: number;
  /** The next event's seq. */
  next: number;
}

/** What the join remembers: each side's kept events (plain data, so it is checkpointed as it is). */
interface IntervalJoinState<L, R> {
  readonly lefts: IntervalSide<L>;
  readonly rights: IntervalSide<R>;
}

const emptySide = <T>(): IntervalSide<T> => ({ byKey: new Map(), queue: [], head: 0, next: 0 });

/**
 * Keeps `item` under `key`, first dropping the key's entries that can no longer match (always the oldest, so the
 * cap below keeps the same live entries whether or not the watermark already evicted them).
 */
function keep<T extends Timed>(side: IntervalSide<T>, key: string, item: T, maxPerKey: number, expired: (ts: bigint) => boolean): void {
  let list = side.byKey.get(key);
  if (list === undefined) {
    list = [];
    side.byKey.set(key, list);
  }
  while (list.length > 0 && expired(list[0]!.item.tsEvent)) list.shift();
  const seq = side.next++;
  list.push({ item, seq });
  if (list.length > maxPerKey) list.shift();
  side.queue.push({ key, ts: item.tsEvent, seq });
}

/** Drops entries (oldest first) while `expired(ts)`. */
function evict<T>(side: IntervalSide<T>, expired: (ts: bigint) => boolean): void {
  while (side.head < side.queue.length && expired(side.queue[side.head]!.ts)) {
    const q = side.queue[side.head++]!;
    const list = side.byKey.get(q.key);
    // Not the list head: add() already dropped it (expired or over the cap).
    if (list !== undefined && list[0]?.seq === q.seq) {
      list.shift();
      if (list.length === 0) side.byKey.delete(q.key);
    }
  }
  if (side.head > 1024 && side.head * 2 > side.queue.length) {
    side.queue = side.queue.slice(side.head);
    side.head = 0;
  }
}

/**
 * Interval join by event time. Both inputs are buffered until the smaller of their watermarks passes them,
 * then processed in event-time order (left before right at equal times, arrival order otherwise): each event is
 * matched against the other side's kept events of the same key, so every pair is emitted exactly once, when its
 * later event is processed. Kept events are evicted once the watermark shows no future partner can match
 * (left after t + upper, right after t − lower), and capped by maxPerKey. The output is a function of the two
 * input sequences alone, however they were batched or interleaved. Output watermark: min of the inputs'. The kept
 * events are declared state (IntervalJoinState), checkpointed with the merge's buffers.
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
  const spec: StateSpec<IntervalJoinState<L, R>> = { name: "intervalJoin", version: 1, init: () => ({ lefts: emptySide(), rights: emptySide() }) };
  return mergeByWatermark<L, R, O, IntervalJoinState<L, R>>(
    left$,
    right$,
    { first: "left", onLate: options.onLate },
    ({ lefts, rights }) => ({
      onLeft(l, out) {
        const key = options.leftKey(l);
        const ts = l.tsEvent;
        const partners = rights.byKey.get(key);
        if (partners)
          for (const r of partners) {
            const d = r.item.tsEvent - ts;
            if (d >= lower && d <= upper) out.push(combine(l, r.item));
          }
        if (upper >= 0n) keep(lefts, key, l, maxPerKey, (t) => t + upper < ts); // a later-processed right has ts >= l's, so it can only match if upper >= 0
      },
      onRight(r, out) {
        const key = options.rightKey(r);
        const ts = r.tsEvent;
        const partners = lefts.byKey.get(key);
        if (partners)
          for (const l of partners) {
            const d = ts - l.item.tsEvent;
            if (d >= lower && d <= upper) out.push(combine(l.item, r));
          }
        if (lower < 0n) keep(rights, key, r, maxPerKey, (t) => t - lower < ts); // a later-processed left has a strictly later ts (ties go left first), so r − l < 0
      },
      onWatermark(w) {
        // Future events have ts >= w.
        evict(lefts, (ts) => ts + upper < w);
        evict(rights, (ts) => ts - lower < w);
      },
    }),
    spec,
  );
}
