// Shared helpers for the window and join tests: small chunk builders, a synchronous runner, and the
// "cut into random chunks" harness the determinism properties use.
import { Subject, type Observable, type OperatorFunction } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { expect } from "vitest";
import { WATERMARK_END, type Chunk } from "../../../core/chunk.ts";
import type { WindowAggregate } from "../../../operators/windowAggregates.ts";
import type { Bar } from "../../../schemas/bar.ts";
import { mulberry32 } from "../../../models/prng.ts";

export interface Ev {
  readonly symbol: string;
  readonly tsEvent: bigint;
  readonly v?: number;
}

export const ev = (symbol: string, ts: number, v?: number): Ev => (v === undefined ? { symbol, tsEvent: BigInt(ts) } : { symbol, tsEvent: BigInt(ts), v });
/** `n` events of keys A, B, C at increasing times (steps of 1 to `maxStep`), from a seed. */
export function randomEvents(seed: number, n: number, maxStep: number): Ev[] {
  const rand = mulberry32(seed);
  let t = 0;
  return Array.from({ length: n }, () => {
    t += 1 + Math.floor(rand() * maxStep);
    return ev(["A", "B", "C"][Math.floor(rand() * 3)]!, t);
  });
}

export const chunk = <T>(items: readonly T[], watermark: number | bigint): Chunk<T> => ({
  items,
  watermark: typeof watermark === "bigint" ? watermark : BigInt(watermark),
});
export const END = WATERMARK_END;

export const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** A window result listing the event times it saw, in the order the reducer saw them. */
export interface Seen {
  key: string;
  start: number;
  end: number;
  ts: number[];
}

/** A reducer that records event times (and merges by concatenation), so tests see exactly what each window got. */
export const collectTimes = (): WindowAggregate<Ev, number[], Seen> & { merge(a: number[], b: number[]): number[] } => ({
  init: () => [],
  add: (a, e) => {
    a.push(Number(e.tsEvent));
    return a;
  },
  merge: (a, b) => [...a, ...b],
  result: (a, start, end, key) => ({ key, start: Number(start), end: Number(end), ts: a }),
});

export const seen = (key: string, start: number, end: number, ts: number[]): Seen => ({ key, start, end, ts });

/** Runs an operator synchronously over chunks; returns output chunks and whether/how it ended. */
export function runChunks<I, O>(
  op: OperatorFunction<Chunk<I>, Chunk<O>>,
  chunks: readonly Chunk<I>[],
): { out: Chunk<O>[]; error?: unknown; completed: boolean } {
  const subject = new Subject<Chunk<I>>();
  const out: Chunk<O>[] = [];
  const res: { out: Chunk<O>[]; error?: unknown; completed: boolean } = { out, completed: false };
  subject.pipe(op).subscribe({ next: (c) => out.push(c), error: (e) => (res.error = e), complete: () => (res.completed = true) });
  for (const c of chunks) subject.next(c);
  subject.complete();
  return res;
}

export const flat = <O>(chunks: readonly Chunk<O>[]): O[] => chunks.flatMap((c) => [...c.items]);

/**
 * Cuts `items` into consecutive chunks at the given cut points; each chunk's watermark is the smallest event
 * time among the items not yet delivered (END after the last), which is the tightest honest watermark.
 */
export function cutIntoChunks<T extends { tsEvent: bigint }>(items: readonly T[], cuts: readonly number[]): Chunk<T>[] {
  const points = [...new Set(cuts.map((c) => Math.min(Math.max(c, 0), items.length)))].sort((a, b) => a - b);
  if (points[points.length - 1] !== items.length) points.push(items.length);
  // suffix minimum of event times
  const suffixMin: bigint[] = new Array(items.length + 1);
  suffixMin[items.length] = END;
  for (let i = items.length - 1; i >= 0; i--) suffixMin[i] = items[i]!.tsEvent < suffixMin[i + 1]! ? items[i]!.tsEvent : suffixMin[i + 1]!;
  const chunks: Chunk<T>[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push({ items: items.slice(from, p), watermark: suffixMin[p]! });
    from = p;
  }
  return chunks;
}

/** Subscribes a two-input operator, feeds the two chunk lists interleaved as `order` says (0 = left, 1 = right). */
export function runJoin<L, R, O>(
  join: (l: Observable<Chunk<L>>, r: Observable<Chunk<R>>) => Observable<Chunk<O>>,
  left: readonly Chunk<L>[],
  right: readonly Chunk<R>[],
  order: readonly number[] = [],
): { out: Chunk<O>[]; error?: unknown; completed: boolean } {
  const l$ = new Subject<Chunk<L>>();
  const r$ = new Subject<Chunk<R>>();
  const out: Chunk<O>[] = [];
  const res: { out: Chunk<O>[]; error?: unknown; completed: boolean } = { out, completed: false };
  join(l$, r$).subscribe({ next: (c) => out.push(c), error: (e) => (res.error = e), complete: () => (res.completed = true) });
  let li = 0;
  let ri = 0;
  for (const side of order) {
    if (side === 0 && li < left.length) l$.next(left[li++]!);
    else if (side === 1 && ri < right.length) r$.next(right[ri++]!);
  }
  while (li < left.length) l$.next(left[li++]!);
  while (ri < right.length) r$.next(right[ri++]!);
  l$.complete();
  r$.complete();
  return res;
}

/** A 1-minute bar [i, i+1) min that opened, peaked, bottomed and closed at `close` (one trade). */
export const minuteBar = (i: number, close: number, o: { symbol?: string; volume?: number; vwap?: number } = {}): Bar => ({
  symbol: o.symbol ?? "AAPL",
  timeframe: "1m",
  tsOpen: BigInt(i) * 60_000_000_000n,
  tsEvent: BigInt(i + 1) * 60_000_000_000n,
  open: close,
  high: close,
  low: close,
  close,
  volume: o.volume ?? 10,
  vwap: o.vwap ?? close,
  trades: 1,
});
