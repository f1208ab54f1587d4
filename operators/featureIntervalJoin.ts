// featureIntervalJoin: feature rows × feature rows of the same symbol within [−before, +after] of each other →
// one row per pair with the right row's values under a prefix.
import type { Observable } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import type { FeatureRow } from "../schemas/features.ts";
import { intervalJoin } from "./intervalJoin.ts";

export interface FeatureIntervalJoinOptions {
  /** A right row may be up to this much earlier than the left row (ns, >= 0). */
  readonly beforeNs: bigint;
  /** A right row may be up to this much later than the left row (ns, >= 0). */
  readonly afterNs: bigint;
  /** Prefix of the right row's feature names; `<prefix>lagSeconds` is right − left time in seconds. */
  readonly rightPrefix: string;
  /** Most rows kept per symbol and side (oldest dropped first). */
  readonly maxPerKey: number;
  /** Receives a row older than the join's watermark; the reason names the input ("left input" / "right input"). */
  readonly onLate: (row: FeatureRow, reason: string) => void;
}

/**
 * Pairs each left row with every right row of its symbol whose time is within [left − before, left + after].
 * A pair becomes one row: id `<leftId>+<rightId>`, the later of the two times, the left timeframe, the left
 * values plus the right values renamed `<rightPrefix><name>` and `<rightPrefix>lagSeconds`. Each pair once, in
 * event-time order, independent of batching, with the kept rows as declared, checkpointed state (see intervalJoin).
 *
 * @example
 * featureIntervalJoin(bars1m$, stats5m$, { beforeNs: 5n * MINUTE, afterNs: 0n, rightPrefix: "s5m.", maxPerKey: 10_000, onLate })
 * // → { id: "AAPL:1m:…+AAPL:5m:…", values: { close: 190.1, "s5m.vwap": 189.9, "s5m.lagSeconds": -60 } }
 * @param left$ the rows whose values keep their names
 * @param right$ the rows whose values get the prefix
 * @param options interval bounds, prefix, per-symbol cap and the late-row handler
 */
export function featureIntervalJoin(
  left$: Observable<Chunk<FeatureRow>>,
  right$: Observable<Chunk<FeatureRow>>,
  options: FeatureIntervalJoinOptions,
): Observable<Chunk<FeatureRow>> {
  const prefix = options.rightPrefix;
  const onLate = options.onLate;
  return intervalJoin(left$, right$, {
    leftKey: (r) => r.symbol,
    rightKey: (r) => r.symbol,
    lowerNs: -options.beforeNs,
    upperNs: options.afterNs,
    maxPerKey: options.maxPerKey,
    combine: (l, r): FeatureRow => {
      const values: Record<string, number> = { ...l.values };
      for (const [k, v] of Object.entries(r.values)) values[`${prefix}${k}`] = v;
      values[`${prefix}lagSeconds`] = Number(r.tsEvent - l.tsEvent) / 1e9;
      return { id: `${l.id}+${r.id}`, symbol: l.symbol, tsEvent: l.tsEvent > r.tsEvent ? l.tsEvent : r.tsEvent, timeframe: l.timeframe, values };
    },
    onLate: (item, side, reason) => onLate(item, `${reason} (${side} input)`),
  });
}
