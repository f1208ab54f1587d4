// Indicator kernels: updates/s of each tickflow kernel on a ~1e6-bar series, one row against technicalindicators'
// nextValue and one against trading-signals' add() (same bars, same parameters, same run), and the heap held by
// 10,000 symbols' worth of a standard indicator set. Outside the timed loop, each library's value on the last bar
// is checked against tickflow's (~1e-6 relative); where a library defines the indicator differently the note says how.

import * as ti from "technicalindicators";
import * as ts from "trading-signals";
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
/** Default agreement asked of the last bar's value: relative difference. */
const REL_TOL = 1e-6;

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

type Step = (b: Bar) => unknown;

let sink = 0;
/**
 * Updates per second of `step` over every bar (best of 2 runs, the first also warms the JIT), and the output of the
 * last bar's update (of the last run), kept for the agreement check.
 */
function rate(bars: readonly Bar[], make: () => Step): { rate: number; last: unknown } {
  let best = 0;
  let last: unknown;
  for (let run = 0; run < 2; run++) {
    const step = make();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < bars.length; i++) {
      last = step(bars[i]!);
      if (last !== undefined) sink++;
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.max(best, bars.length / secs);
  }
  return { rate: best, last };
}

/** The numbers compared on the last bar, in the same order for both sides. */
type Final = (out: unknown, bars: readonly Bar[]) => readonly number[];

interface Kernel {
  make: () => Step;
  final: Final;
}

interface Baseline extends Kernel {
  /** Shown in the table's baseline column: library, class, method. */
  name: string;
  /** How the library's definition differs from tickflow's (TA-Lib's), and what the check allowed for it. */
  note?: string;
  /** Absolute tolerance on top of REL_TOL (a library that rounds). */
  absTol?: number;
  /** False when the definitions differ so that the values are not comparable: speed only. */
  compare?: false;
  /** When the library has no equivalent of tickflow's parameters: the tickflow kernel and label run for this row. */
  ours?: { label: string; kernel: Kernel };
}

interface Case {
  label: string;
  ours: Kernel;
  ti?: Baseline;
  ts?: Baseline;
}

const num: Final = (out) => [out as number];
const fields =
  (...keys: string[]): Final =>
  (out) =>
    keys.map((k) => (out as Record<string, number>)[k]!);

/** trading-signals v7+ has only number-based classes: the former Faster* variants, renamed (big.js dropped). */
const TS = "trading-signals";
const EMA_SEED = "its EMA starts at the first input (tickflow/TA-Lib: at the SMA of the first period): warm-up differs, converged by the last bar";

const cases: Case[] = [
  {
    label: "sma(20)",
    ours: {
      make: () => {
        const k = new Sma(20);
        return (b) => k.next(b.close);
      },
      final: num,
    },
    ti: {
      name: "technicalindicators SMA.nextValue",
      make: () => {
        const k = new ti.SMA({ period: 20, values: [] });
        return (b) => k.nextValue(b.close);
      },
      final: num,
    },
    ts: {
      name: `${TS} SMA.add`,
      make: () => {
        const k = new ts.SMA(20);
        return (b) => k.add(b.close);
      },
      final: num,
    },
  },
  {
    label: "ema(12)",
    ours: {
      make: () => {
        const k = new Ema(12);
        return (b) => k.next(b.close);
      },
      final: num,
    },
    ti: {
      name: "technicalindicators EMA.nextValue",
      make: () => {
        const k = new ti.EMA({ period: 12, values: [] });
        return (b) => k.nextValue(b.close);
      },
      final: num,
    },
    ts: {
      name: `${TS} EMA.add`,
      make: () => {
        const k = new ts.EMA(12);
        return (b) => k.add(b.close);
      },
      final: num,
      note: EMA_SEED,
    },
  },
  {
    label: "wma(20)",
    ours: {
      make: () => {
        const k = new Wma(20);
        return (b) => k.next(b.close);
      },
      final: num,
    },
    ti: {
      name: "technicalindicators WMA.nextValue",
      make: () => {
        const k = new ti.WMA({ period: 20, values: [] });
        return (b) => k.nextValue(b.close);
      },
      final: num,
    },
    ts: {
      name: `${TS} WMA.add`,
      make: () => {
        const k = new ts.WMA(20);
        return (b) => k.add(b.close);
      },
      final: num,
    },
  },
  {
    label: "dema(20)",
    ours: {
      make: () => {
        const k = new Dema(20);
        return (b) => k.next(b.close);
      },
      final: num,
    },
    ts: {
      name: `${TS} DEMA.add`,
      make: () => {
        const k = new ts.DEMA(20);
        return (b) => k.add(b.close);
      },
      final: num,
      note: `${EMA_SEED}; it emits from the first bar (tickflow: bar 39)`,
    },
  },
  {
    label: "tema(20)",
    ours: {
      make: () => {
        const k = new Tema(20);
        return (b) => k.next(b.close);
      },
      final: num,
    },
    ts: {
      name: `${TS} TEMA.add`,
      make: () => {
        const k = new ts.TEMA(20);
        return (b) => k.add(b.close);
      },
      final: num,
      note: EMA_SEED,
    },
  },
  {
    label: "rsi(14)",
    ours: {
      make: () => {
        const k = new Rsi(14);
        return (b) => k.next(b.close);
      },
      final: num,
    },
    ti: {
      name: "technicalindicators RSI.nextValue",
      make: () => {
        const k = new ti.RSI({ period: 14, values: [] });
        return (b) => k.nextValue(b.close);
      },
      final: num,
      absTol: 0.005 + 1e-9,
      note: "it rounds RSI to 2 decimals: checked to ±0.005",
    },
    ts: {
      name: `${TS} RSI.add`,
      make: () => {
        const k = new ts.RSI(14);
        return (b) => k.add(b.close);
      },
      final: num,
    },
  },
  {
    label: "macd(12,26,9)",
    ours: {
      make: () => {
        const k = new Macd(12, 26, 9);
        return (b) => k.next(b.close);
      },
      final: fields("macd", "signal", "hist"),
    },
    ti: {
      name: "technicalindicators MACD.nextValue (EMA/EMA)",
      make: () => {
        const k = new ti.MACD({ values: [], fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false });
        return (b) => k.nextValue(b.close);
      },
      final: fields("MACD", "signal", "histogram"),
      note: "it seeds the fast EMA on closes 1-12 (TA-Lib/tickflow: 15-26): warm-up differs, converged by the last bar",
    },
    ts: {
      name: `${TS} MACD(EMA,EMA,EMA).add`,
      make: () => {
        const k = new ts.MACD(new ts.EMA(12), new ts.EMA(26), new ts.EMA(9));
        return (b) => k.add(b.close);
      },
      final: fields("macd", "signal", "histogram"),
      note: EMA_SEED,
    },
  },
  {
    label: "bbands(20,2)",
    ours: {
      make: () => {
        const k = new BollingerBands(20, 2);
        return (b) => k.next(b.close);
      },
      final: fields("upper", "middle", "lower"),
    },
    ti: {
      name: "technicalindicators BollingerBands.nextValue",
      make: () => {
        const k = new ti.BollingerBands({ period: 20, stdDev: 2, values: [] });
        return (b) => k.nextValue(b.close);
      },
      final: fields("upper", "middle", "lower"),
    },
    ts: {
      name: `${TS} BollingerBands.add`,
      make: () => {
        const k = new ts.BollingerBands(20, 2);
        return (b) => k.add(b.close);
      },
      final: fields("upper", "middle", "lower"),
    },
  },
  {
    label: "atr(14)",
    ours: {
      make: () => {
        const k = new Atr(14);
        return (b) => k.next(b);
      },
      final: num,
    },
    ti: {
      name: "technicalindicators ATR.nextValue",
      make: () => {
        const k = new ti.ATR({ period: 14, high: [], low: [], close: [] });
        return (b) => k.nextValue(b as never);
      },
      final: num,
    },
    ts: {
      name: `${TS} ATR.add`,
      make: () => {
        const k = new ts.ATR(14);
        return (b) => k.add(b);
      },
      final: num,
      note: "its first TR is bar 1's high-low (TA-Lib/tickflow: bar 1 only gives the previous close): warm-up differs, converged by the last bar",
    },
  },
  {
    label: "stoch(14,3,3)",
    ours: {
      make: () => {
        const k = new Stochastic(14, 3, 3);
        return (b) => k.next(b);
      },
      final: fields("k", "d"),
    },
    ti: {
      name: "technicalindicators Stochastic.nextValue",
      ours: {
        label: "stoch(14,1,3)",
        kernel: {
          make: () => {
            const k = new Stochastic(14, 1, 3);
            return (b) => k.next(b);
          },
          final: fields("k", "d"),
        },
      },
      make: () => {
        const k = new ti.Stochastic({ period: 14, signalPeriod: 3, high: [], low: [], close: [] });
        return (b) => k.nextValue(b as never);
      },
      final: fields("k", "d"),
      note: "it has no %K slowing (fast stochastic): compared with tickflow's (14,1,3)",
    },
    ts: {
      name: `${TS} StochasticOscillator.add`,
      make: () => {
        const k = new ts.StochasticOscillator({ kPeriod: 14, kSlowingPeriod: 3, dPeriod: 3 });
        return (b) => k.add(b);
      },
      final: fields("stochK", "stochD"),
    },
  },
  {
    label: "adx(14)",
    ours: {
      make: () => {
        const k = new Adx(14);
        return (b) => k.next(b);
      },
      final: fields("adx", "plusDI", "minusDI"),
    },
    ti: {
      name: "technicalindicators ADX.nextValue",
      make: () => {
        const k = new ti.ADX({ period: 14, high: [], low: [], close: [] });
        return (b) => k.nextValue(b as never);
      },
      final: fields("adx", "pdi", "mdi"),
      note: "ADX seeded differently (WEMA of DX): converged by the last bar",
    },
    ts: {
      name: `${TS} ADX.add`,
      // ADX, +DI, −DI: trading-signals keeps ±DI as fractions (not percent) on the pdi/mdi getters.
      make: () => {
        const k = new ts.ADX(14);
        return (b) => {
          const adx = k.add(b);
          return adx === null ? null : { adx, pdi: (k.pdi as number) * 100, mdi: (k.mdi as number) * 100 };
        };
      },
      final: fields("adx", "pdi", "mdi"),
      note: "its DM/TR smoothing starts on bar 1 (DM 0, TR high-low): warm-up differs, converged by the last bar; ±DI are fractions (×100 compared)",
    },
  },
  {
    label: "obv",
    ours: {
      make: () => {
        const k = new Obv();
        return (b) => k.next(b);
      },
      final: num,
    },
    ti: {
      name: "technicalindicators OBV.nextValue",
      make: () => {
        const k = new ti.OBV({ close: [], volume: [] });
        return (b) => k.nextValue(b as never);
      },
      final: (out, bars) => [(out as number) + bars[0]!.volume],
      note: "it starts at 0 (TA-Lib/tickflow: bar 1's volume): bar 1's volume added before comparing",
    },
    ts: {
      name: `${TS} OBV(2).add`,
      make: () => {
        const k = new ts.OBV(2); // its window of candles; 2 is the least that works (1 throws)
        return (b) => k.add(b);
      },
      final: (out, bars) => [(out as number) + bars[0]!.volume],
      note: "it starts at 0 (TA-Lib/tickflow: bar 1's volume): bar 1's volume added before comparing",
    },
  },
  {
    label: "cci(20)",
    ours: {
      make: () => {
        const k = new Cci(20);
        return (b) => k.next(b);
      },
      final: num,
    },
    ti: {
      name: "technicalindicators CCI.nextValue",
      make: () => {
        const k = new ti.CCI({ period: 20, high: [], low: [], close: [] });
        return (b) => k.nextValue(b as never);
      },
      final: num,
    },
    ts: {
      name: `${TS} CCI.add`,
      make: () => {
        const k = new ts.CCI(20);
        return (b) => k.add(b);
      },
      final: num,
    },
  },
  {
    label: "roc(10)",
    ours: {
      make: () => {
        const k = new Roc(10);
        return (b) => k.next(b.close);
      },
      final: num,
    },
    ti: {
      name: "technicalindicators ROC.nextValue",
      make: () => {
        const k = new ti.ROC({ period: 10, values: [] });
        return (b) => k.nextValue(b.close);
      },
      final: num,
    },
    ts: {
      name: `${TS} ROC.add`,
      make: () => {
        const k = new ts.ROC(10);
        return (b) => k.add(b.close);
      },
      final: (out) => [(out as number) * 100],
      note: "it returns a fraction, not percent: ×100 before comparing",
    },
  },
  {
    label: "stddev(20)",
    ours: {
      make: () => {
        const k = new StdDev(20);
        return (b) => k.next(b.close);
      },
      final: fields("stddev"),
    },
    ti: {
      name: "technicalindicators SD.nextValue",
      make: () => {
        const k = new ti.SD({ period: 20, values: [] });
        return (b) => k.nextValue(b.close);
      },
      final: num,
    },
    // trading-signals has no streaming standard deviation (only the batch getStandardDeviation).
  },
  {
    label: "zscore(20)",
    ours: {
      make: () => {
        const k = new ZScore(20);
        return (b) => k.next(b.close);
      },
      final: num,
    },
  },
  {
    label: "vwap(session)",
    ours: {
      make: () => {
        const k = new Vwap(0);
        return (b) => k.next(b);
      },
      final: num,
    },
    ti: {
      name: "technicalindicators VWAP.nextValue",
      make: () => {
        const k = new ti.VWAP({ high: [], low: [], close: [], volume: [] });
        return (b) => k.nextValue(b as never);
      },
      final: num,
    },
    ts: {
      name: `${TS} VWAP.add`,
      make: () => {
        const k = new ts.VWAP();
        return (b) => k.add(b);
      },
      final: num,
    },
  },
  {
    label: "vwap(20)",
    ours: {
      make: () => {
        const k = new Vwap(20);
        return (b) => k.next(b);
      },
      final: num,
    },
    ts: {
      name: `${TS} VWMA.add`,
      make: () => {
        const k = new ts.VWMA(20);
        return (b) => k.add(b);
      },
      final: num,
      compare: false,
      note: "VWMA weighs the close, tickflow's rolling vwap the typical price (h+l+c)/3: speed only, values not compared",
    },
  },
];

/** Largest relative difference between two equally long lists (∞ when a value is missing or not finite). */
function relDiff(a: readonly number[], b: readonly number[], absTol: number): { rel: number; ok: boolean } {
  let rel = 0;
  let ok = a.length === b.length;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      rel = Number.POSITIVE_INFINITY;
      ok = false;
      continue;
    }
    const d = Math.abs(x - y);
    const r = d === 0 ? 0 : d / Math.max(Math.abs(x), Math.abs(y));
    rel = Math.max(rel, r);
    if (!(r <= REL_TOL || d <= absTol)) ok = false;
  }
  return { rel, ok };
}

/** The note of a baseline row: how the last bar's values compare, then the library's definitional difference. */
function agreement(row: string, ours: readonly number[], theirs: readonly number[], b: Baseline): string {
  if (b.compare === false) return b.note ?? "values not compared";
  const { rel, ok } = relDiff(ours, theirs, b.absTol ?? 0);
  const figure = rel === 0 ? "identical" : `Δrel ${rel.toExponential(1)}`;
  if (!ok) {
    process.stderr.write(`bench: indicators ${row}: last-bar values differ: tickflow [${ours.join(", ")}], ${b.name} [${theirs.join(", ")}]\n`);
  }
  return [ok ? `last bar agrees (${figure})` : `LAST BAR DIFFERS (${figure}, see stderr)`, b.note].filter(Boolean).join("; ");
}

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
    const ours = rate(bars, c.ours.make);
    const baselines = [c.ti, c.ts].filter((b): b is Baseline => b !== undefined);
    if (baselines.length === 0) {
      rows.push({ group: "indicators", name: c.label, value: ours.rate, unit: "updates/s", note: "no equivalent in technicalindicators or trading-signals" });
    }
    for (const b of baselines) {
      const lib = b.name.split(" ")[0]!;
      const label = b.ours?.label ?? c.label;
      const kernel = b.ours?.kernel ?? c.ours;
      const mine = b.ours ? rate(bars, kernel.make) : ours;
      const theirs = rate(bars, b.make);
      rows.push({
        group: "indicators",
        name: `${label} vs ${lib}`,
        value: mine.rate,
        baseline: { name: b.name, value: theirs.rate },
        unit: "updates/s",
        note: agreement(`${label} vs ${lib}`, kernel.final(mine.last, bars), b.final(theirs.last, bars), b),
      });
    }
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
