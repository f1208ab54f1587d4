// Window, resample and join operators: events/s over ~1e6 synthetic trades/bars (100 symbols, chunks of 1,000
// with in-band watermarks, as replay feeds them), and the heap held by open windows of 10,000 symbols.
import { Subject, type Observable, type OperatorFunction } from "rxjs";
import { WATERMARK_END, type Chunk } from "../core/chunk.ts";
import { tumblingWindow } from "../operators/tumblingWindow.ts";
import { slidingWindow } from "../operators/slidingWindow.ts";
import { sessionWindow } from "../operators/sessionWindow.ts";
import { resampleBars } from "../operators/resampleBars.ts";
import { intervalJoin } from "../operators/intervalJoin.ts";
import { priceStats, type PricePoint } from "../operators/windowAggregates.ts";
import type { Bar } from "../schemas/bar.ts";
import type { BenchRow } from "./types.ts";

const N = 1_000_000;
const S = 1_000_000_000n;
const MIN = 60n * S;
const T0 = BigInt(Date.parse("2024-01-02T14:30:00Z")) * 1_000_000n;

/** Seeded generator (mulberry32), so every run measures the same data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * n price points over `symbols` symbols, one every `stepNs`, round-robin, random-walk prices; every 10,000th
 * point the market pauses for a minute (so session windows close now and then).
 */
function points(n: number, symbols: number, stepNs: bigint): PricePoint[] {
  const rand = rng(7);
  const price = new Float64Array(symbols).fill(100);
  const names = Array.from({ length: symbols }, (_, i) => `S${i}`);
  const out: PricePoint[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % symbols;
    price[k] = price[k]! * (1 + (rand() - 0.5) * 0.002);
    const volume = 1 + Math.floor(rand() * 100);
    out[i] = {
      symbol: names[k]!,
      tsEvent: T0 + BigInt(i) * stepNs + BigInt(Math.floor(i / 10_000)) * MIN,
      price: price[k]!,
      volume,
      notional: price[k]! * volume,
    };
  }
  return out;
}

function oneMinuteBars(n: number, symbols: number): Bar[] {
  const rand = rng(11);
  const out: Bar[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % symbols;
    const open = T0 + BigInt(Math.floor(i / symbols)) * MIN;
    const p = 100 + rand();
    out[i] = {
      symbol: `S${k}`,
      timeframe: "1m",
      tsOpen: open,
      tsEvent: open + MIN,
      open: p,
      high: p + 0.5,
      low: p - 0.5,
      close: p + 0.1,
      volume: 100,
      vwap: p,
      trades: 5,
    };
  }
  return out;
}

function chunks<T extends { tsEvent: bigint }>(items: readonly T[], size: number): Chunk<T>[] {
  const out: Chunk<T>[] = [];
  for (let i = 0; i < items.length; i += size) {
    const j = Math.min(i + size, items.length);
    out.push({ items: items.slice(i, j), watermark: j < items.length ? items[j]!.tsEvent : WATERMARK_END });
  }
  return out;
}

let sink = 0;
/** Events/s through `op` (best of 2; the first run also warms the JIT). */
function rate<I, O>(input: readonly Chunk<I>[], make: () => OperatorFunction<Chunk<I>, Chunk<O>>): { rate: number; outputs: number } {
  let best = 0;
  let outputs = 0;
  const n = input.reduce((s, c) => s + c.items.length, 0);
  for (let run = 0; run < 2; run++) {
    const subject = new Subject<Chunk<I>>();
    outputs = 0;
    subject.pipe(make()).subscribe((c) => {
      outputs += c.items.length;
    });
    const t0 = process.hrtime.bigint();
    for (const c of input) subject.next(c);
    subject.complete();
    best = Math.max(best, n / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  sink += outputs;
  return { rate: best, outputs };
}

function joinRate<T extends { tsEvent: bigint }>(
  left: readonly Chunk<T>[],
  right: readonly Chunk<T>[],
  make: (l: Observable<Chunk<T>>, r: Observable<Chunk<T>>) => Observable<Chunk<unknown>>,
): { rate: number; outputs: number } {
  let best = 0;
  let outputs = 0;
  const n = [...left, ...right].reduce((s, c) => s + c.items.length, 0);
  for (let run = 0; run < 2; run++) {
    const l$ = new Subject<Chunk<T>>();
    const r$ = new Subject<Chunk<T>>();
    outputs = 0;
    make(l$, r$).subscribe((c) => {
      outputs += c.items.length;
    });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      if (i < left.length) l$.next(left[i]!);
      if (i < right.length) r$.next(right[i]!);
    }
    l$.complete();
    r$.complete();
    best = Math.max(best, n / (Number(process.hrtime.bigint() - t0) / 1e9));
  }
  sink += outputs;
  return { rate: best, outputs };
}

/** Heap (MiB) held while 10,000 symbols each have open windows: fed one event per symbol, watermark held back. */
function heldMiB<I>(items: readonly I[], make: () => OperatorFunction<Chunk<I>, Chunk<unknown>>): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const subject = new Subject<Chunk<I>>();
  subject.pipe(make()).subscribe(() => undefined);
  subject.next({ items: items, watermark: T0 });
  gc?.();
  const after = process.memoryUsage().heapUsed;
  subject.complete();
  return (after - before) / 2 ** 20;
}

const ignore = (): void => undefined;

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  // Heap first, before the large inputs exist, so they do not add collector noise.
  const gcNote = (globalThis as { gc?: unknown }).gc ? "after gc()" : "no --expose-gc: includes garbage";
  const tenK = points(10_000, 10_000, 1000n).map((p) => ({ ...p, tsEvent: T0 + 1n }));
  const tenKBars = oneMinuteBars(10_000, 10_000);
  rows.push({
    group: "windows",
    name: "10k symbols: tumbling priceStats open",
    value: heldMiB(tenK, () => tumblingWindow({ sizeNs: MIN, aggregate: priceStats(), onLate: ignore })),
    unit: "MiB",
    note: gcNote,
  });
  rows.push({
    group: "windows",
    name: "10k symbols: sliding 5m/1m priceStats open",
    value: heldMiB(tenK, () => slidingWindow({ sizeNs: 5n * MIN, slideNs: MIN, aggregate: priceStats(), onLate: ignore })),
    unit: "MiB",
    note: `${gcNote}; 5 windows per symbol`,
  });
  rows.push({
    group: "windows",
    name: "10k symbols: session priceStats open",
    value: heldMiB(tenK, () => sessionWindow({ gapNs: MIN, aggregate: priceStats(), onLate: ignore })),
    unit: "MiB",
    note: gcNote,
  });
  rows.push({
    group: "windows",
    name: "10k symbols: resample 1d open",
    value: heldMiB(tenKBars, () => resampleBars({ timeframe: "1d", onLate: ignore })),
    unit: "MiB",
    note: gcNote,
  });

  const pts = chunks(points(N, 100, 100_000_000n), 1000); // 100 symbols, 10 events/s: ~28 h of event time
  const note = (outputs: number) => `1e6 points, 100 symbols, chunks of 1,000; ${outputs.toLocaleString("en-US")} windows out`;
  const t = rate(pts, () => tumblingWindow({ sizeNs: MIN, aggregate: priceStats(), onLate: ignore }));
  rows.push({ group: "windows", name: "tumblingWindow 1m priceStats", value: t.rate, unit: "events/s", note: note(t.outputs) });
  const tl = rate(pts, () => tumblingWindow({ sizeNs: MIN, allowedLatenessNs: 10n * S, aggregate: priceStats(), onLate: ignore }));
  rows.push({ group: "windows", name: "tumblingWindow 1m, lateness 10s", value: tl.rate, unit: "events/s", note: note(tl.outputs) });
  const sl = rate(pts, () => slidingWindow({ sizeNs: 5n * MIN, slideNs: MIN, aggregate: priceStats(), onLate: ignore }));
  rows.push({ group: "windows", name: "slidingWindow 5m/1m priceStats", value: sl.rate, unit: "events/s", note: note(sl.outputs) + " (5 windows per event)" });
  const se = rate(pts, () => sessionWindow({ gapNs: 30n * S, aggregate: priceStats(), onLate: ignore }));
  rows.push({ group: "windows", name: "sessionWindow gap 30s priceStats", value: se.rate, unit: "events/s", note: note(se.outputs) });
  const se1 = rate(pts, () => sessionWindow({ gapNs: 5n * S, aggregate: priceStats(), onLate: ignore }));
  rows.push({ group: "windows", name: "sessionWindow gap 5s (one session per event)", value: se1.rate, unit: "events/s", note: note(se1.outputs) });

  const bars = chunks(oneMinuteBars(N, 100), 1000);
  const r5 = rate(bars, () => resampleBars({ timeframe: "5m", onLate: ignore }));
  rows.push({
    group: "windows",
    name: "resampleBars 1m → 5m",
    value: r5.rate,
    unit: "bars/s",
    note: `1e6 1m bars, 100 symbols; ${r5.outputs.toLocaleString("en-US")} bars out`,
  });
  const rd = rate(bars, () =>
    resampleBars({ timeframe: "1d", session: { timezone: "America/New_York", open: "09:30", close: "16:00" }, onLate: ignore, onOutsideSession: ignore }),
  );
  rows.push({
    group: "windows",
    name: "resampleBars 1m → 1d (NY session)",
    value: rd.rate,
    unit: "bars/s",
    note: `same bars (about 70% outside the session); ${rd.outputs.toLocaleString("en-US")} bars out`,
  });

  const half = points(N, 100, 100_000_000n);
  const left = chunks(
    half.filter((_, i) => Math.floor(i / 100) % 2 === 0),
    1000,
  );
  const right = chunks(
    half.filter((_, i) => Math.floor(i / 100) % 2 === 1),
    1000,
  );
  const ij = joinRate(
    left,
    right,
    (l, r) =>
      intervalJoin(l, r, {
        leftKey: (x) => x.symbol,
        rightKey: (x) => x.symbol,
        lowerNs: -15n * S,
        upperNs: 15n * S,
        combine: (a, b) => a.price - b.price,
        onLate: ignore,
      }) as Observable<Chunk<unknown>>,
  );
  rows.push({
    group: "windows",
    name: "intervalJoin ±15s",
    value: ij.rate,
    unit: "events/s",
    note: `1e6 events in two streams, 100 symbols; ${ij.outputs.toLocaleString("en-US")} pairs out`,
  });
  if (sink < 0) console.log(sink);
  return rows;
}
