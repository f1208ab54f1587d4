// What the window operators share: the reducer interface, the store of open windows (plain data, kept in an
// operator's declared state) released in canonical (end, key) order, the output-watermark lag that allowed
// lateness implies, and ready-made reducers.
import { map, type OperatorFunction } from "rxjs";
import { WATERMARK_END, WATERMARK_START, type Chunk } from "../core/chunk.ts";
import type { StateSpec } from "../core/state.ts";

export interface Timed {
  readonly tsEvent: bigint;
}

/**
 * A pure reducer over the items of one window of one key. The accumulator is plain data (numbers, strings,
 * bigints, arrays, objects) so a checkpoint can copy it; `add` may update the accumulator it is given and
 * return it, because the operator owns it.
 */
export interface WindowAggregate<I, A, O> {
  init(): A;
  add(acc: A, item: I): A;
  /** The window's output; its event time should be `windowEnd` (what the output watermark promises). */
  result(acc: A, windowStart: bigint, windowEnd: bigint, key: string): O;
}

/** A reducer that can also combine two accumulators, needed by session windows (which merge). */
export interface MergeableWindowAggregate<I, A, O> extends WindowAggregate<I, A, O> {
  /** Combines the accumulators of two sessions; `earlier` covers the earlier events. */
  merge(earlier: A, later: A): A;
}

/** Receives an event that arrived after the window(s) it belongs to were emitted. */
export type LateHandler<I> = (item: I, reason: string) => void;

/** Options every keyed window operator takes. */
export interface KeyedWindowOptions<I extends Timed, A, O> {
  /** Window key (default: the item's `symbol`). */
  readonly key?: (item: I) => string;
  /** How long after the watermark passes a window's end it still accepts events (default 0). */
  readonly allowedLatenessNs?: bigint;
  readonly aggregate: WindowAggregate<I, A, O>;
  /** Receives each event that arrives too late for its window(s): the side output. */
  readonly onLate: LateHandler<I>;
}

/** Reads `item.symbol`, the default window key. */
export function symbolKey(item: unknown): string {
  const s = (item as { symbol?: unknown }).symbol;
  if (typeof s !== "string") throw new TypeError(`window key: item has no string "symbol" field; pass a key function`);
  return s;
}

export const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Start of the aligned interval of `size` (phase `offset`) holding `t`; correct for negative times too. */
export function alignDown(t: bigint, size: bigint, offset = 0n): bigint {
  const r = (((t - offset) % size) + size) % size;
  return t - r;
}

export interface OpenWindow<A> {
  readonly start: bigint;
  acc: A;
}

/**
 * Open windows keyed by (end, key), as plain data so a window operator can keep them in its declared state
 * (core/state.ts) and a checkpoint copies them as they are. `releaseWindows(store, limit)` removes every window
 * with end <= limit and hands them out ordered by (end, key): the canonical order every window operator emits in.
 */
export interface WindowStore<A> {
  /** end → key → window. */
  readonly byEnd: Map<bigint, Map<string, OpenWindow<A>>>;
  /** The ends in `byEnd`, ascending. */
  readonly ends: bigint[];
}

/** A store with no open window. */
export function emptyWindowStore<A>(): WindowStore<A> {
  return { byEnd: new Map(), ends: [] };
}

/** The declared state of a window operator over a WindowStore (tumbling, sliding, resample): plain data. */
export interface WindowStoreState<A> {
  /** The windows not emitted yet, with their accumulators. */
  readonly windows: WindowStore<A>;
  /** The last watermark seen (undefined before the first): an event whose window was emitted before it is late. */
  watermark: bigint | undefined;
}

/** The StateSpec of the operator `name` keeping a WindowStoreState. */
export function windowStoreState<A>(name: string): StateSpec<WindowStoreState<A>> {
  return { name, version: 1, init: () => ({ windows: emptyWindowStore(), watermark: undefined }) };
}

/**
 * The window (end, key) of `store`, created with `init` if absent.
 *
 * @example
 * const w = openWindow(store, 60n, "AAPL", 0n, agg.init); w.acc = agg.add(w.acc, item);
 * @param store the open windows, updated in place
 * @param end, key, start the window's end (its place in the release order), key and start
 * @param init the accumulator of a new window
 */
export function openWindow<A>(store: WindowStore<A>, end: bigint, key: string, start: bigint, init: () => A): OpenWindow<A> {
  let keys = store.byEnd.get(end);
  if (keys === undefined) {
    keys = new Map();
    store.byEnd.set(end, keys);
    let i = store.ends.length;
    while (i > 0 && store.ends[i - 1]! > end) i--; // usually appends: windows open in time order
    store.ends.splice(i, 0, end);
  }
  let w = keys.get(key);
  if (w === undefined) {
    w = { start, acc: init() };
    keys.set(key, w);
  }
  return w;
}

/**
 * Removes every window of `store` with end <= limit and passes each to `emit`, in (end, key) order.
 *
 * @example
 * releaseWindows(store, watermark, (w, end, key) => out.push(agg.result(w.acc, w.start, end, key)));
 * @param store the open windows, updated in place
 * @param limit the latest end to release
 * @param emit receives each released window
 */
export function releaseWindows<A>(store: WindowStore<A>, limit: bigint, emit: (w: OpenWindow<A>, end: bigint, key: string) => void): void {
  while (store.ends.length > 0 && store.ends[0]! <= limit) {
    const end = store.ends.shift()!;
    const keys = store.byEnd.get(end)!;
    store.byEnd.delete(end);
    const names = [...keys.keys()].sort(compareKeys);
    for (const k of names) emit(keys.get(k)!, end, k);
  }
}

/**
 * Shifts a chunk stream's watermark back by `lagNs`: a window operator with allowed lateness L holds a window
 * until the input watermark passes end + L, so downstream may only be promised "everything before W - L".
 */
export function lagWatermark<T>(lagNs: bigint): OperatorFunction<Chunk<T>, Chunk<T>> {
  return map((c) =>
    c.watermark === WATERMARK_END ? c : { items: c.items, watermark: c.watermark - lagNs < WATERMARK_START ? WATERMARK_START : c.watermark - lagNs },
  );
}

// ---------------------------------------------------------------------------------------------------------
// Ready-made reducers

/** A priced event: a trade (price, size) or a bar (close, volume, vwap × volume) reduced to one point. */
export interface PricePoint extends Timed {
  readonly symbol: string;
  readonly price: number;
  readonly volume: number;
  /** price × volume summed over the point (a bar's vwap × volume). */
  readonly notional: number;
}

/** A price point that remembers the trade or bar it came from (for dead letters). */
export interface SourcedPricePoint<S> extends PricePoint {
  readonly src: S;
}

export interface PriceStatsAcc {
  count: number;
  volume: number;
  notional: number;
  open: number;
  openTs: bigint;
  high: number;
  low: number;
  close: number;
  closeTs: bigint;
  /** Last price in arrival order, for returns between consecutive events. */
  last: number;
  nRet: number;
  meanRet: number;
  m2Ret: number;
}

export interface PriceStats {
  readonly symbol: string;
  readonly start: bigint;
  readonly end: bigint;
  readonly values: Record<string, number>;
}

function addReturn(a: PriceStatsAcc, r: number): void {
  a.nRet++;
  const d = r - a.meanRet;
  a.meanRet += d / a.nRet;
  a.m2Ret += d * (r - a.meanRet);
}

/**
 * count, volume, vwap, open/high/low/close (open and close by event time), ret (close/open - 1) and the mean and
 * population standard deviation of simple returns between consecutive events (in arrival order, which is event
 * order for an ordered stream). Mergeable, so it also serves session windows.
 */
export function priceStats(prefix = ""): MergeableWindowAggregate<PricePoint, PriceStatsAcc, PriceStats> {
  return {
    init: () => ({
      count: 0,
      volume: 0,
      notional: 0,
      open: NaN,
      openTs: 0n,
      high: -Infinity,
      low: Infinity,
      close: NaN,
      closeTs: 0n,
      last: NaN,
      nRet: 0,
      meanRet: 0,
      m2Ret: 0,
    }),
    add(a, p) {
      if (a.count === 0 || p.tsEvent < a.openTs) {
        a.open = p.price;
        a.openTs = p.tsEvent;
      }
      if (a.count === 0 || p.tsEvent >= a.closeTs) {
        a.close = p.price;
        a.closeTs = p.tsEvent;
      }
      if (a.count > 0) addReturn(a, p.price / a.last - 1);
      a.last = p.price;
      a.count++;
      a.volume += p.volume;
      a.notional += p.notional;
      if (p.price > a.high) a.high = p.price;
      if (p.price < a.low) a.low = p.price;
      return a;
    },
    merge(x, y) {
      if (x.count === 0) return y;
      if (y.count === 0) return x;
      const bridge: PriceStatsAcc = { ...y, nRet: 0, meanRet: 0, m2Ret: 0 };
      addReturn(bridge, y.open / x.last - 1);
      // Chan et al. parallel combination of (count, mean, M2) for y's own returns and the bridging one.
      const n = bridge.nRet + y.nRet;
      const d = y.meanRet - bridge.meanRet;
      const yMean = y.nRet ? bridge.meanRet + (d * y.nRet) / n : bridge.meanRet;
      const yM2 = y.nRet ? y.m2Ret + (d * d * bridge.nRet * y.nRet) / n : 0;
      const nAll = x.nRet + n;
      const d2 = yMean - x.meanRet;
      return {
        count: x.count + y.count,
        volume: x.volume + y.volume,
        notional: x.notional + y.notional,
        open: y.openTs < x.openTs ? y.open : x.open,
        openTs: y.openTs < x.openTs ? y.openTs : x.openTs,
        high: Math.max(x.high, y.high),
        low: Math.min(x.low, y.low),
        close: y.closeTs >= x.closeTs ? y.close : x.close,
        closeTs: y.closeTs >= x.closeTs ? y.closeTs : x.closeTs,
        last: y.last,
        nRet: nAll,
        meanRet: x.meanRet + (d2 * n) / nAll,
        m2Ret: x.m2Ret + yM2 + (d2 * d2 * x.nRet * n) / nAll,
      };
    },
    result(a, start, end, key) {
      const values: Record<string, number> = {
        [`${prefix}count`]: a.count,
        [`${prefix}volume`]: a.volume,
        [`${prefix}vwap`]: a.volume > 0 ? a.notional / a.volume : a.close,
        [`${prefix}open`]: a.open,
        [`${prefix}high`]: a.high,
        [`${prefix}low`]: a.low,
        [`${prefix}close`]: a.close,
        [`${prefix}ret`]: a.close / a.open - 1,
      };
      if (a.nRet > 0) {
        values[`${prefix}retMean`] = a.meanRet;
        values[`${prefix}retStd`] = Math.sqrt(a.m2Ret / a.nRet);
      }
      return { symbol: key, start, end, values };
    },
  };
}

/** Counts items; the smallest useful reducer (tests, examples). */
export function countItems<I>(): MergeableWindowAggregate<I, { n: number }, { key: string; start: bigint; end: bigint; n: number }> {
  return {
    init: () => ({ n: 0 }),
    add: (a) => {
      a.n++;
      return a;
    },
    merge: (x, y) => ({ n: x.n + y.n }),
    result: (a, start, end, key) => ({ key, start, end, n: a.n }),
  };
}
