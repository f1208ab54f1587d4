// sessionWindow: keyed event-time windows that close after a gap of inactivity, one result per session.
import type { OperatorFunction } from "rxjs";
import { chunkOperator, type Chunk } from "../core/chunk.ts";
import { compareKeys, lagWatermark, symbolKey, type KeyedWindowOptions, type MergeableWindowAggregate, type Timed } from "./windowAggregates.ts";

/** Lateness here: an event more than allowedLatenessNs behind the watermark goes to `onLate`. */
export interface SessionWindowOptions<I extends Timed, A, O> extends KeyedWindowOptions<I, A, O> {
  /** A session ends when a key has no event for this long (nanoseconds). */
  readonly gapNs: bigint;
  /** The reducer; `merge` joins two sessions that an out-of-order event bridges. */
  readonly aggregate: MergeableWindowAggregate<I, A, O>;
}

interface Session<A> {
  key: string;
  start: bigint;
  last: bigint;
  acc: A;
  /** Merged into another session: its heap entry is stale. */
  dead: boolean;
}

/**
 * Session windows: a key's events whose consecutive event times are less than `gap` apart form one session
 * [first, last + gap). A session is emitted once the watermark reaches last + gap + allowedLateness, in
 * (end, key) order; an out-of-order event that falls within `gap` of two sessions merges them (`merge`, earlier
 * first). An event more than allowedLateness behind the watermark goes to `onLate`: it could belong to a session
 * already emitted (a looser, per-session rule would split such a session in two). Idle keys hold no state once
 * their sessions are emitted. Output watermark: input watermark minus allowedLateness.
 *
 * @example
 * trades$.pipe(sessionWindow({ gapNs: 30n * MINUTE, aggregate: priceStats(), onLate }))
 * @param options gap, key, allowed lateness, mergeable reducer and late-event handler
 */
export function sessionWindow<I extends Timed, A, O>(options: SessionWindowOptions<I, A, O>): OperatorFunction<Chunk<I>, Chunk<O>> {
  const gap = options.gapNs;
  const lateness = options.allowedLatenessNs ?? 0n;
  if (gap <= 0n) throw new RangeError(`sessionWindow: gapNs must be positive, got ${gap}`);
  if (lateness < 0n) throw new RangeError(`sessionWindow: allowedLatenessNs must be >= 0, got ${lateness}`);
  const keyOf = options.key ?? (symbolKey as (item: I) => string);
  const agg = options.aggregate;
  const op = chunkOperator<I, O>(() => {
    const byKey = new Map<string, Session<A>[]>(); // each key's open sessions, ascending by start
    const heap = new MinHeap<Session<A>>(); // by close time at push; re-pushed when a session was extended
    let watermark: bigint | undefined;

    const add = (item: I): void => {
      const t = item.tsEvent;
      const key = keyOf(item);
      let list = byKey.get(key);
      if (list === undefined) {
        list = [];
        byKey.set(key, list);
      }
      // Sessions are >= gap apart, so t touches at most the one before it and the one after it.
      let i = list.length;
      while (i > 0 && list[i - 1]!.start > t) i--;
      const before = i > 0 && t - list[i - 1]!.last < gap ? list[i - 1]! : undefined;
      const after = i < list.length && list[i]!.start - t < gap ? list[i]! : undefined;
      let s: Session<A>;
      if (before && after) {
        before.acc = agg.merge(before.acc, after.acc);
        if (after.last > before.last) before.last = after.last;
        after.dead = true;
        list.splice(i, 1);
        s = before;
      } else if (before || after) {
        s = (before ?? after)!;
      } else {
        s = { key, start: t, last: t, acc: agg.init(), dead: false };
        list.splice(i, 0, s);
        heap.push(t + gap, s);
      }
      if (t < s.start) s.start = t;
      if (t > s.last) s.last = t;
      s.acc = agg.add(s.acc, item);
    };

    return {
      onItems(items) {
        for (const item of items) {
          if (watermark !== undefined && item.tsEvent + lateness < watermark) {
            options.onLate(
              item,
              `event at ${item.tsEvent} of "${keyOf(item)}" is more than the allowed lateness (${lateness} ns) behind the watermark ${watermark}`,
            );
            continue;
          }
          add(item);
        }
      },
      onWatermark(wm, out) {
        watermark = wm;
        const limit = wm - lateness;
        const closed: Session<A>[] = [];
        while (heap.size > 0 && heap.peekAt()! <= limit) {
          const s = heap.pop()!;
          if (s.dead) continue;
          const end = s.last + gap;
          if (end > limit) {
            heap.push(end, s); // extended since it was pushed
            continue;
          }
          const list = byKey.get(s.key)!;
          list.splice(list.indexOf(s), 1);
          if (list.length === 0) byKey.delete(s.key);
          closed.push(s);
        }
        closed.sort((a, b) => (a.last < b.last ? -1 : a.last > b.last ? 1 : compareKeys(a.key, b.key)));
        for (const s of closed) out.push(agg.result(s.acc, s.start, s.last + gap, s.key));
      },
    };
  });
  return lateness > 0n ? (source) => source.pipe(op, lagWatermark<O>(lateness)) : op;
}

/** Binary min-heap of values by a bigint priority. */
class MinHeap<T> {
  private readonly at: bigint[] = [];
  private readonly val: T[] = [];

  get size(): number {
    return this.at.length;
  }

  peekAt(): bigint | undefined {
    return this.at[0];
  }

  push(at: bigint, v: T): void {
    let i = this.at.length;
    this.at.push(at);
    this.val.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.at[p]! <= at) break;
      this.at[i] = this.at[p]!;
      this.val[i] = this.val[p]!;
      i = p;
    }
    this.at[i] = at;
    this.val[i] = v;
  }

  pop(): T | undefined {
    const n = this.at.length;
    if (n === 0) return undefined;
    const top = this.val[0];
    const lastAt = this.at.pop()!;
    const lastVal = this.val.pop()!;
    if (n > 1) {
      let i = 0;
      const m = n - 1;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= m) break;
        if (c + 1 < m && this.at[c + 1]! < this.at[c]!) c++;
        if (this.at[c]! >= lastAt) break;
        this.at[i] = this.at[c]!;
        this.val[i] = this.val[c]!;
        i = c;
      }
      this.at[i] = lastAt;
      this.val[i] = lastVal;
    }
    return top;
  }
}
