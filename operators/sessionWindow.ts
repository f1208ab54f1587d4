// sessionWindow: keyed event-time windows that close after a gap of inactivity, one result per session.
import type { OperatorFunction } from "rxjs";
import { chunkOperator, type Chunk } from "../core/chunk.ts";
import type { StateSpec } from "../core/state.ts";
import { compareKeys, lagWatermark, symbolKey, type KeyedWindowOptions, type MergeableWindowAggregate, type Timed } from "./windowAggregates.ts";

/** Lateness here: an event more than allowedLatenessNs behind the watermark goes to `onLate`. */
export interface SessionWindowOptions<I extends Timed, A, O> extends KeyedWindowOptions<I, A, O> {
  /** A session ends when a key has no event for this long (nanoseconds). */
  readonly gapNs: bigint;
  /** The reducer; `merge` joins two sessions that an out-of-order event bridges. */
  readonly aggregate: MergeableWindowAggregate<I, A, O>;
}

/** One open session of a key: [start, last + gap). */
export interface Session<A> {
  readonly key: string;
  start: bigint;
  last: bigint;
  acc: A;
}

/**
 * What a session window remembers between batches (its declared state): plain data, checkpointed as it is.
 * Sessions are referred to by id, so the per-key lists and the close-time heap share them without sharing objects
 * (a checkpoint copies values, never references).
 */
export interface SessionWindowState<A> {
  /** The open sessions by id; a session merged into another or emitted is deleted. */
  readonly sessions: Map<number, Session<A>>;
  /** Each key's open session ids, ascending by start. */
  readonly byKey: Map<string, number[]>;
  /** Session ids by close time at push (an id no longer in `sessions` is stale; re-pushed when a session was extended). */
  readonly heap: MinHeap;
  /** The id of the next new session. */
  nextId: number;
  /** The last watermark seen (undefined before the first): an event too far behind it is late. */
  watermark: bigint | undefined;
}

/**
 * Session windows: a key's events whose consecutive event times are less than `gap` apart form one session
 * [first, last + gap). A session is emitted once the watermark reaches last + gap + allowedLateness, in
 * (end, key) order; an out-of-order event that falls within `gap` of two sessions merges them (`merge`, earlier
 * first). An event more than allowedLateness behind the watermark goes to `onLate`: it could belong to a session
 * already emitted (a looser, per-session rule would split such a session in two). Idle keys hold no state once
 * their sessions are emitted. Output watermark: input watermark minus allowedLateness. The open sessions live in
 * the operator's declared state (`SessionWindowState`), so a checkpointed run resumes them.
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
  const spec: StateSpec<SessionWindowState<A>> = {
    name: "sessionWindow",
    version: 1,
    init: () => ({ sessions: new Map(), byKey: new Map(), heap: { at: [], ids: [] }, nextId: 0, watermark: undefined }),
  };
  const op = chunkOperator<I, O, SessionWindowState<A>>((state) => {
    const { sessions, byKey, heap } = state;

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
      while (i > 0 && sessions.get(list[i - 1]!)!.start > t) i--;
      const prev = i > 0 ? sessions.get(list[i - 1]!)! : undefined;
      const next = i < list.length ? sessions.get(list[i]!)! : undefined;
      const before = prev && t - prev.last < gap ? prev : undefined;
      const after = next && next.start - t < gap ? next : undefined;
      let s: Session<A>;
      if (before && after) {
        before.acc = agg.merge(before.acc, after.acc);
        if (after.last > before.last) before.last = after.last;
        sessions.delete(list[i]!); // its heap entry is now stale
        list.splice(i, 1);
        s = before;
      } else if (before || after) {
        s = (before ?? after)!;
      } else {
        const id = state.nextId++;
        s = { key, start: t, last: t, acc: agg.init() };
        sessions.set(id, s);
        list.splice(i, 0, id);
        heapPush(heap, t + gap, id);
      }
      if (t < s.start) s.start = t;
      if (t > s.last) s.last = t;
      s.acc = agg.add(s.acc, item);
    };

    return {
      onItems(items) {
        for (const item of items) {
          const watermark = state.watermark;
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
        state.watermark = wm;
        const limit = wm - lateness;
        const closed: Session<A>[] = [];
        while (heap.at.length > 0 && heap.at[0]! <= limit) {
          const id = heapPop(heap)!;
          const s = sessions.get(id);
          if (s === undefined) continue; // merged into another session
          const end = s.last + gap;
          if (end > limit) {
            heapPush(heap, end, id); // extended since it was pushed
            continue;
          }
          const list = byKey.get(s.key)!;
          list.splice(list.indexOf(id), 1);
          if (list.length === 0) byKey.delete(s.key);
          sessions.delete(id);
          closed.push(s);
        }
        closed.sort((a, b) => (a.last < b.last ? -1 : a.last > b.last ? 1 : compareKeys(a.key, b.key)));
        for (const s of closed) out.push(agg.result(s.acc, s.start, s.last + gap, s.key));
      },
    };
  }, spec);
  return lateness > 0n ? (source) => source.pipe(op, lagWatermark<O>(lateness)) : op;
}

/** A binary min-heap of session ids by a bigint priority, as two parallel arrays (plain data). */
export interface MinHeap {
  readonly at: bigint[];
  readonly ids: number[];
}

function heapPush(h: MinHeap, at: bigint, id: number): void {
  let i = h.at.length;
  h.at.push(at);
  h.ids.push(id);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h.at[p]! <= at) break;
    h.at[i] = h.at[p]!;
    h.ids[i] = h.ids[p]!;
    i = p;
  }
  h.at[i] = at;
  h.ids[i] = id;
}

function heapPop(h: MinHeap): number | undefined {
  const n = h.at.length;
  if (n === 0) return undefined;
  const top = h.ids[0];
  const lastAt = h.at.pop()!;
  const lastId = h.ids.pop()!;
  if (n > 1) {
    let i = 0;
    const m = n - 1;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= m) break;
      if (c + 1 < m && h.at[c + 1]! < h.at[c]!) c++;
      if (h.at[c]! >= lastAt) break;
      h.at[i] = h.at[c]!;
      h.ids[i] = h.ids[c]!;
      i = c;
    }
    h.at[i] = lastAt;
    h.ids[i] = lastId;
  }
  return top;
}
