// keyedJoin: keyed stream-stream inner join whose state is bounded by an event-time TTL and a per-key cap.
import type { Observable } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import { intervalJoin } from "./intervalJoin.ts";
import type { Timed } from "./windowAggregates.ts";

export interface KeyedJoinOptions<L extends Timed, R extends Timed, O> {
  readonly leftKey: (l: L) => string;
  readonly rightKey: (r: R) => string;
  /** An event joins the other side's events of the same key at most this far apart in event time (ns). */
  readonly ttlNs: bigint;
  /** Most events kept per key on each side (oldest dropped first). Default 1,000. */
  readonly maxPerKey?: number;
  /** Builds the output of one matching pair; its event time should be the later of the two. */
  readonly combine: (left: L, right: R) => O;
  /** Receives an event older than the join's watermark. */
  readonly onLate: (item: L | R, side: "left" | "right", reason: string) => void;
}

/**
 * Joins every event with each event of the same key on the other stream that is at most `ttl` away in event
 * time, keeping at most `maxPerKey` live events per key and side: an interval join over [−ttl, +ttl] with a cap,
 * so its state is bounded by both time and count and it inherits the interval join's determinism (each pair
 * once, in event-time order, independent of batching) and its declared, checkpointed state.
 *
 * @example
 * keyedJoin(rows$, news$, { leftKey: (r) => r.symbol, rightKey: (n) => n.symbol, ttlNs: HOUR, maxPerKey: 50,
 *   combine: (row, n) => ({ ...row, values: { ...row.values, news: n.score } }), onLate })
 */
export function keyedJoin<L extends Timed, R extends Timed, O>(
  left$: Observable<Chunk<L>>,
  right$: Observable<Chunk<R>>,
  options: KeyedJoinOptions<L, R, O>,
): Observable<Chunk<O>> {
  if (options.ttlNs < 0n) throw new RangeError(`keyedJoin: ttlNs must be >= 0, got ${options.ttlNs}`);
  return intervalJoin(left$, right$, {
    leftKey: options.leftKey,
    rightKey: options.rightKey,
    lowerNs: -options.ttlNs,
    upperNs: options.ttlNs,
    maxPerKey: options.maxPerKey ?? 1000,
    combine: options.combine,
    onLate: options.onLate,
  });
}
