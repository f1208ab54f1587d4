// Indicator kernels: updates/s of each tickflow kernel beside technicalindicators' nextValue on the same ~1e6-bar
// series, and the heap held by 10,000 symbols' worth of a standard indicator set.

import * as ti from "technicalindicators";
import {
  Adx,
  Atr,
  BollingerBands,
  Cci,
  Dema,
  Ema,
  Macd,
  Obv,
  Roc,
  Rsi,
  Sma,
  StdDev,
  Stochastic,
  Tema,
  Vwap,
  Wma,
  ZScore,
} from "../operators/indicators/index.ts";
import type { Bar } from "../operators/indicators/types.ts";
import type { BenchRow } from "./types.ts";

const N = 1_000_000;

/** Seeded random walk (mulberry32), so every run measures the same bars. */
function randomWalk(n: number, seed = 42): Bar[] {
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const bars: Bar[] = [];
  let price = 100;
  for (let i = 0; i < n; i++) {
    const open = price;
    price = Math.max(1, price * (1 + (rand() - 0.5) * 0.02));
    const high = Math.max(open, price) * (1 + rand() * 0.005);
    const low = Math.min(open, price) * (1 - rand() * 0.005);
    bars.push({ open, high, low, close: price, volume: Math.floor(1e5 + rand() * 1e6) });
  }
  return bars;
}

let sink = 0;
/** Updates per second of `step` over every bar (best of 2 runs, the first also warms the JIT). */
function rate(bars: readonly Bar[], make: () => (b: Bar) => unknown): number {
  let best = 0;
  for (let run = 0; run < 2; run++) {
    const step = make();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < bars.length; i++) {
      const v = step(bars[i]!);
      if (v !== undefined) sink++;
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.max(best, bars.length / secs);
  }
  return best;
}

type Case = { name: string; ours: () => (b: Bar) => unknown; theirs?: () => (b: Bar) => unknown };

const cases: Case[] = [
  {
    name: "sma(20)",
    ours: () => {
      const k = new Sma(20);
      return (b) => k.next(b.close);
    },
    theirs: () => {
      const k = new ti.SMA({ period: 20, values: [] });
      return (b) => k.nextValue(b.close);
    },
  },
  {
    name: "ema(12)",
    ours: () => {
      const k = new Ema(12);
      return (b) => k.next(b.close);
    },
    theirs: () => {
      const k = new ti.EMA({ period: 12, values: [] });
      return (b) => k.nextValue(b.close);
    },
  },
  {
    name: "wma(20)",
    ours: () => {
      const k = new Wma(20);
      return (b) => k.next(b.close);
    },
    theirs: () => {
      const k = new ti.WMA({ period: 20, values: [] });
      return (b) => k.nextValue(b.close);
    },
  },
  {
    name: "dema(20)",
    ours: () => {
      const k = new Dema(20);
      return (b) => k.next(b.close);
    },
  },
  {
    name: "tema(20)",
    ours: () => {
      const k = new Tema(20);
      return (b) => k.next(b.close);
    },
  },
  {
    name: "rsi(14)",
    ours: () => {
      const k = new Rsi(14);
      return (b) => k.next(b.close);
    },
    theirs: () => {
      const k = new ti.RSI({ period: 14, values: [] });
      return (b) => k.nextValue(b.close);
    },
  },
  {
    name: "macd(12,26,9)",
    ours: () => {
      const k = new Macd(12, 26, 9);
      return (b) => k.next(b.close);
    },
    theirs: () => {
      const k = new ti.MACD({ values: [], fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false });
      return (b) => k.nextValue(b.close);
    },
  },
  {
    name: "bbands(20,2)",
    ours: () => {
      const k = new BollingerBands(20, 2);
      return (b) => k.next(b.close);
    },
    theirs: () => {
      const k = new ti.BollingerBands({ period: 20, stdDev: 2, values: [] });
      return (b) => k.nextValue(b.close);
    },
  },
  {
    name: "atr(14)",
    ours: () => {
      const k = new Atr(14);
      return (b) => k.next(b);
    },
    theirs: () => {
      const k = new ti.ATR({ period: 14, high: [], low: [], close: [] });
      return (b) => k.nextValue(b as never);
    },
  },
  {
    name: "stoch(14,3,3)",
    ours: () => {
      const k = new Stochastic(14, 3, 3);
      return (b) => k.next(b);
    },
    theirs: () => {
      const k = new ti.Stochastic({ period: 14, signalPeriod: 3, high: [], low: [], close: [] });
      return (b) => k.nextValue(b as never);
    },
  },
  {
    name: "adx(14)",
    ours: () => {
      const k = new Adx(14);
      return (b) => k.next(b);
    },
    theirs: () => {
      const k = new ti.ADX({ period: 14, high: [], low: [], close: [] });
      return (b) => k.nextValue(b as never);
    },
  },
  {
    name: "obv",
    ours: () => {
      const k = new Obv();
      return (b) => k.next(b);
    },
    theirs: () => {
      const k = new ti.OBV({ close: [], volume: [] });
      return (b) => k.nextValue(b as never);
    },
  },
  {
    name: "cci(20)",
    ours: () => {
      const k = new Cci(20);
      return (b) => k.next(b);
    },
    theirs: () => {
      const k = new ti.CCI({ period: 20, high: [], low: [], close: [] });
      return (b) => k.nextValue(b as never);
    },
  },
  {
    name: "roc(10)",
    ours: () => {
      const k = new Roc(10);
      return (b) => k.next(b.close);
    },
    theirs: () => {
      const k = new ti.ROC({ period: 10, values: [] });
      return (b) => k.nextValue(b.close);
    },
  },
  {
    name: "stddev(20)",
    ours: () => {
      const k = new StdDev(20);
      return (b) => k.next(b.close);
    },
    theirs: () => {
      const k = new ti.SD({ period: 20, values: [] });
      return (b) => k.nextValue(b.close);
    },
  },
  {
    name: "zscore(20)",
    ours: () => {
      const k = new ZScore(20);
      return (b) => k.next(b.close);
    },
  },
  {
    name: "vwap(session)",
    ours: () => {
      const k = new Vwap(0);
      return (b) => k.next(b);
    },
    theirs: () => {
      const k = new ti.VWAP({ high: [], low: [], close: [], volume: [] });
      return (b) => k.nextValue(b as never);
    },
  },
  {
    name: "vwap(20)",
    ours: () => {
      const k = new Vwap(20);
      return (b) => k.next(b);
    },
  },
];

/** Heap held by `symbols` sets of EMA12, EMA26, RSI14, MACD, BB20, ATR14, each fed 60 bars (past warm-up). */
function memoryPerSymbols(bars: readonly Bar[], symbols: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const held: unknown[] = [];
  for (let s = 0; s < symbols; s++) {
    const set = { ema12: new Ema(12), ema26: new Ema(26), rsi14: new Rsi(14), macd: new Macd(), bb20: new BollingerBands(20, 2), atr14: new Atr(14) };
    for (let i = 0; i < 60; i++) {
      const b = bars[(s * 60 + i) % bars.length]!;
      set.ema12.next(b.close);
      set.ema26.next(b.close);
      set.rsi14.next(b.close);
      set.macd.next(b.close);
      set.bb20.next(b.close);
      set.atr14.next(b);
    }
    held.push(set);
  }
  gc?.();
  const after = process.memoryUsage().heapUsed;
  sink += held.length;
  return (after - before) / (1024 * 1024);
}

export async function run(): Promise<BenchRow[]> {
  const bars = randomWalk(N);
  const rows: BenchRow[] = [];
  for (const c of cases) {
    rows.push({ group: "indicators", name: `${c.name} tickflow`, value: rate(bars, c.ours), unit: "updates/s" });
    if (c.theirs) rows.push({ group: "indicators", name: `${c.name} technicalindicators.nextValue`, value: rate(bars, c.theirs), unit: "updates/s" });
  }
  const gcNote = (globalThis as { gc?: unknown }).gc ? "after gc()" : "no --expose-gc: includes garbage";
  rows.push({
    group: "indicators",
    name: "10k symbols × {ema12, ema26, rsi14, macd, bb20, atr14}",
    value: memoryPerSymbols(bars, 10_000),
    unit: "MiB",
    note: gcNote,
  });
  if (sink < 0) console.log(sink);
  return rows;
}
