// Per-symbol sentiment with exponential time decay in event time, bounded and checkpointable as plain data.
import { parseDurationNs } from "../../schemas/time.ts";

export interface DecayedSentimentOptions {
  /** Time for an item's weight to halve: bigint ns or a duration such as "2h". Required. */
  halfLife: bigint | string;
  /**
   * Forget a symbol with no update for this long, measured against the newest event time seen.
   * Default: 20 half-lives (its weight is then below one millionth).
   */
  idleAfter?: bigint | string;
  /** At most this many symbols; the least recently updated go first. Default 10,000. */
  maxSymbols?: number;
}

/** What `valueAt` returns. */
export interface SentimentValue {
  /**
   * The decay-weighted mean score, shrunk toward 0 while the decayed weight is below one item:
   * sum / max(1, weight). In [-1, 1]; fades to 0 as news ages.
   */
  readonly score: number;
  /** The decay-weighted mean of the scores, sum / weight, regardless of age. */
  readonly mean: number;
  /** Decayed number of items: each item counts 1 when new and halves every half-life. */
  readonly weight: number;
  /** Items ever added for this symbol (since its state was last evicted). */
  readonly count: number;
  readonly lastUpdateNs: bigint;
}

/** Plain, JSON-safe state: bigints as decimal strings. Symbols in least- to most-recently-updated order. */
export interface DecayedSentimentState {
  readonly v: 1;
  readonly newestNs: string | null;
  readonly symbols: readonly (readonly [symbol: string, entry: { sum: number; weight: number; count: number; lastNs: string }])[];
}

export interface DecayedSentiment {
  /** Adds one scored item. Out-of-order items are weighted by their own age, so order does not matter. */
  update(symbol: string, tsNs: bigint, score: number): void;
  /** The symbol's sentiment as of `tsNs`, or undefined if it has none (never seen, or evicted). */
  valueAt(symbol: string, tsNs: bigint): SentimentValue | undefined;
  /** Symbols currently held. */
  readonly size: number;
  toState(): DecayedSentimentState;
}

interface Entry {
  /** Sum of score × weight, decayed to lastNs. */
  sum: number;
  /** Sum of weights, decayed to lastNs. */
  weight: number;
  count: number;
  lastNs: bigint;
}

/**
 * Creates per-symbol decayed sentiment, optionally restored from `toState()` output.
 *
 * @example
 * const s = decayedSentiment({ halfLife: "2h" });
 * s.update("AAPL", t0, 0.8);
 * s.valueAt("AAPL", t0 + 2n * 3_600_000_000_000n)?.weight; // 0.5
 * const copy = decayedSentiment({ halfLife: "2h" }, JSON.parse(JSON.stringify(s.toState())));
 * @param options half-life, idle eviction, symbol cap
 * @param state a checkpoint from `toState()`
 */
export function decayedSentiment(options: DecayedSentimentOptions, state?: DecayedSentimentState): DecayedSentiment {
  const halfLifeNs = toNs(options.halfLife, "halfLife");
  if (halfLifeNs <= 0n) throw new RangeError(`decayedSentiment: halfLife must be positive, got ${halfLifeNs}ns`);
  const idleNs = options.idleAfter === undefined ? 20n * halfLifeNs : toNs(options.idleAfter, "idleAfter");
  const maxSymbols = options.maxSymbols ?? 10_000;
  if (!Number.isInteger(maxSymbols) || maxSymbols < 1) {
    throw new RangeError(`decayedSentiment: maxSymbols must be a positive integer, got ${maxSymbols}`);
  }
  const halfLife = Number(halfLifeNs);
  const decay = (dtNs: bigint) => Math.pow(2, -Number(dtNs) / halfLife);

  // Map iteration order is insertion order; re-inserting on update keeps it least- to most-recently-updated.
  const entries = new Map<string, Entry>();
  let newestNs: bigint | undefined;
  if (state !== undefined) ({ newestNs } = restore(state, entries));

  const evict = () => {
    if (newestNs !== undefined) {
      for (const [symbol, e] of entries) {
        if (newestNs - e.lastNs <= idleNs) break;
        entries.delete(symbol);
      }
    }
    while (entries.size > maxSymbols) entries.delete(entries.keys().next().value!);
  };

  return {
    update(symbol, tsNs, score) {
      if (!Number.isFinite(score)) throw new RangeError(`decayedSentiment: score for ${symbol} must be finite, got ${score}`);
      const e = entries.get(symbol);
      if (e === undefined) {
        entries.set(symbol, { sum: score, weight: 1, count: 1, lastNs: tsNs });
      } else {
        if (tsNs >= e.lastNs) {
          const f = decay(tsNs - e.lastNs);
          e.sum = e.sum * f + score;
          e.weight = e.weight * f + 1;
          e.lastNs = tsNs;
        } else {
          const g = decay(e.lastNs - tsNs);
          e.sum += score * g;
          e.weight += g;
        }
        e.count++;
        entries.delete(symbol);
        entries.set(symbol, e);
      }
      if (newestNs === undefined || tsNs > newestNs) newestNs = tsNs;
      evict();
    },
    valueAt(symbol, tsNs) {
      const e = entries.get(symbol);
      if (e === undefined) return undefined;
      // Asking about a time before the last update: the later items cannot be taken out again, so answer
      // as of the last update rather than inflate the weights.
      const f = tsNs > e.lastNs ? decay(tsNs - e.lastNs) : 1;
      const sum = e.sum * f;
      const weight = e.weight * f;
      return { score: sum / Math.max(1, weight), mean: e.sum / e.weight, weight, count: e.count, lastUpdateNs: e.lastNs };
    },
    get size() {
      return entries.size;
    },
    toState() {
      return {
        v: 1,
        newestNs: newestNs === undefined ? null : newestNs.toString(),
        symbols: [...entries].map(([s, e]) => [s, { sum: e.sum, weight: e.weight, count: e.count, lastNs: e.lastNs.toString() }] as const),
      };
    },
  };
}

function toNs(value: bigint | string, name: string): bigint {
  if (typeof value === "bigint") return value;
  try {
    return parseDurationNs(value);
  } catch (cause) {
    throw new RangeError(`decayedSentiment: ${name} ${JSON.stringify(value)} is not a duration such as "2h" or "90s"`, { cause });
  }
}

function restore(state: DecayedSentimentState, into: Map<string, Entry>): { newestNs: bigint | undefined } {
  const where = "decayedSentiment state";
  if (state === null || typeof state !== "object" || state.v !== 1) {
    throw new TypeError(`${where}: expected { v: 1, ... } from toState(), got ${JSON.stringify(state)?.slice(0, 80)}`);
  }
  const ns = (s: unknown, field: string): bigint => {
    if (typeof s !== "string" || !/^-?\d+$/.test(s)) throw new TypeError(`${where}: ${field} must be integer nanoseconds as a string, got ${JSON.stringify(s)}`);
    return BigInt(s);
  };
  const newestNs = state.newestNs === null ? undefined : ns(state.newestNs, "newestNs");
  if (!Array.isArray(state.symbols)) throw new TypeError(`${where}: symbols must be an array`);
  for (const item of state.symbols) {
    const [symbol, e] = item;
    if (typeof symbol !== "string" || e === null || typeof e !== "object") throw new TypeError(`${where}: bad symbol entry ${JSON.stringify(item)}`);
    for (const k of ["sum", "weight", "count"] as const) {
      if (!Number.isFinite(e[k])) throw new TypeError(`${where}: ${symbol}.${k} must be a finite number, got ${JSON.stringify(e[k])}`);
    }
    into.set(symbol, { sum: e.sum, weight: e.weight, count: e.count, lastNs: ns(e.lastNs, `${symbol}.lastNs`) });
  }
  return { newestNs };
}
