// asofJoin: each left event joined with the latest right event of the same key at or before its event time.
import type { Observable } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import { mergeByWatermark, type Timed } from "../core/mergeByWatermark.ts";
import type { StateSpec } from "../core/state.ts";

export interface AsofJoinOptions<L extends Timed, R extends Timed, O> {
  readonly leftKey: (l: L) => string;
  readonly rightKey: (r: R) => string;
  /** A right event older than this (nanoseconds) is not joined: `combine` gets undefined. */
  readonly maxStalenessNs: bigint;
  /** Builds the output; `right` is the latest match within the staleness bound, `ageNs` its age. */
  readonly combine: (left: L, right: R | undefined, ageNs: bigint | undefined) => O;
  /** Bound on keys kept (least recently updated evicted first). Default 100,000. */
  readonly maxKeys?: number;
  /** Receives an event that arrived behind the join's watermark (side output); without it the stream errors. */
  readonly onLate?: (item: L | R, side: "left" | "right", reason: string) => void;
}

/** What the join remembers: the latest right event per key, in Map order least recently updated first. */
interface AsofJoinState<R> {
  readonly latest: Map<string, R>;
}

/**
 * As-of join by event time. Both inputs are buffered until the smaller of their watermarks passes them,
 * then merged in event-time order (a right event at the same time as a left one counts as "at or before"),
 * so the result is the same whatever the arrival order or batching of the two streams. The latest right event
 * per key is declared state (AsofJoinState), checkpointed with the merge's buffers.
 *
 * @example
 * asofJoin(bars$, sentiment$, { leftKey: (b) => b.symbol, rightKey: (s) => s.symbol, maxStalenessNs: 4n * HOUR,
 *   combine: (b, s) => ({ ...b, sentiment: s?.score ?? 0 }) })
 */
export function asofJoin<L extends Timed, R extends Timed, O>(
  left$: Observable<Chunk<L>>,
  right$: Observable<Chunk<R>>,
  options: AsofJoinOptions<L, R, O>,
): Observable<Chunk<O>> {
  const maxKeys = options.maxKeys ?? 100_000;
  const spec: StateSpec<AsofJoinState<R>> = { name: "asofJoin", version: 1, init: () => ({ latest: new Map() }) };
  return mergeByWatermark<L, R, O, AsofJoinState<R>>(
    left$,
    right$,
    { first: "right", onLate: options.onLate },
    ({ latest }) => ({
      onRight(r) {
        const k = options.rightKey(r);
        latest.delete(k); // re-insert: Map order = least recently updated first
        latest.set(k, r);
        if (latest.size > maxKeys) latest.delete(latest.keys().next().value!);
      },
      onLeft(l, out) {
        const r = latest.get(options.leftKey(l));
        const age = r === undefined ? undefined : l.tsEvent - r.tsEvent;
        const fresh = age !== undefined && age <= options.maxStalenessNs;
        out.push(options.combine(l, fresh ? r : undefined, fresh ? age : undefined));
      },
    }),
    spec,
  );
}
