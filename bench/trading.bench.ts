// Bars per second through PaperBroker with a fast/slow SMA crossover (RuleStrategy) on 1e6 synthetic bars, 10 symbols.
import type { Bar } from "../schemas/bar.ts";
import { PaperBroker, RuleStrategy } from "../trading/index.ts";
import type { BenchRow } from "./types.ts";

const SYMBOLS = Array.from({ length: 10 }, (_, i) => `SYM${i}`);
const MIN = 60_000_000_000n;

/** Seeded random-walk minute bars, symbols interleaved in time order. */
function syntheticBars(n: number, seed = 42): Bar[] {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const price = SYMBOLS.map(() => 100);
  const out: Bar[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % SYMBOLS.length;
    const t = BigInt(Math.floor(i / SYMBOLS.length));
    const open = price[k]!;
    const close = Math.max(1, open * (1 + (rnd() - 0.5) * 0.004));
    const high = Math.max(open, close) * (1 + rnd() * 0.001);
    const low = Math.min(open, close) * (1 - rnd() * 0.001);
    price[k] = close;
    out.push({
      symbol: SYMBOLS[k]!,
      timeframe: "1m",
      tsOpen: t * MIN,
      tsEvent: (t + 1n) * MIN,
      open,
      high,
      low,
      close,
      volume: 1000 + Math.floor(rnd() * 9000),
      vwap: close,
      trades: 0,
    });
  }
  return out;
}

function runOnce(bars: readonly Bar[], snapshots: "every_event" | "on_fill"): { seconds: number; events: number; fills: number } {
  const broker = new PaperBroker({
    startingCash: 1_000_000,
    policy: { name: "bench", slippage: { bps: 1 }, participation: 0.5 },
    defaultCommission: { perUnit: 0.005, minimum: 1 },
    risk: { maxPositionPerSymbol: 10_000, maxGrossExposure: 10_000_000 },
    snapshots,
  });
  const strategy = new RuleStrategy({
    name: "sma10x30",
    direction: "long_short",
    enterLong: { crossAbove: ["sma10", "sma30"] },
    enterShort: { crossBelow: ["sma10", "sma30"] },
    sizing: { kind: "fixed_units", units: 100 },
  });
  // Rolling sums per symbol: the indicator operators' job in a pipeline, kept trivial here.
  const hist = new Map<string, { buf: number[]; s10: number; s30: number }>();
  let events = 0;
  let fills = 0;
  const t0 = performance.now();
  for (const bar of bars) {
    const ev = broker.onBar(bar);
    let h = hist.get(bar.symbol);
    if (!h) hist.set(bar.symbol, (h = { buf: [], s10: 0, s30: 0 }));
    h.buf.push(bar.close);
    const n = h.buf.length;
    h.s10 += bar.close - (n > 10 ? h.buf[n - 11]! : 0);
    h.s30 += bar.close - (n > 30 ? h.buf.shift()! : 0);
    const row = { sma10: n >= 10 ? h.s10 / 10 : undefined, sma30: n >= 30 ? h.s30 / 30 : undefined };
    const orders = strategy.onBar(bar, row, broker);
    events += ev.length + orders.length;
    for (const e of ev) if (e.type === "fill") fills++;
  }
  return { seconds: (performance.now() - t0) / 1000, events, fills };
}

export async function run(): Promise<BenchRow[]> {
  const n = Number(process.env.TRADING_BENCH_BARS ?? 1_000_000);
  const bars = syntheticBars(n);
  const rows: BenchRow[] = [];
  for (const snapshots of ["on_fill", "every_event"] as const) {
    runOnce(bars.slice(0, Math.min(n, 50_000)), snapshots); // warm-up
    const r = runOnce(bars, snapshots);
    rows.push({
      group: "trading",
      name: `PaperBroker + SMA(10/30) rules, snapshots=${snapshots}`,
      value: n / r.seconds,
      unit: "bars/s",
      note: `${n} bars, 10 symbols, ${r.fills} fills, ${r.events} events`,
    });
  }
  return rows;
}
