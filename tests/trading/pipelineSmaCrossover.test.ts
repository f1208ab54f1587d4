// The close-vs-SMA(15) crossover of smaCrossover.test.ts, declared as a pipeline (indicators → paperBroker →
// selectors) on ORCL bars parsed by the importer: same fills, same final equity, same statistics as the
// PaperBroker-level pinned test, whatever the batching.
import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../app/loadPipeline.ts";
import { PaperBroker, RuleStrategy, backtestStats, buyAndHoldOf, equityCurve, periodsPerYear, type BrokerEvent } from "../../trading/index.ts";
import { summarizeBacktest } from "../../replay/backtestSummary.ts";
import type { Fill } from "../../schemas/fill.ts";
import type { EquitySnapshot, PositionSnapshot } from "../../schemas/position.ts";
import type { Order } from "../../schemas/order.ts";
import { fills as fillsOf } from "./helpers.ts";
import { orclBars, runBars } from "./pipelineHelpers.ts";

export const SMA15_PIPELINE = `
name: sma15-orcl
sources:
  bars: { type: bar }
nodes:
  indicators: { op: indicators, in: bars, params: { set: [{ id: sma15, name: sma, period: 15 }] } }
  broker:
    op: paperBroker
    in: [bars, indicators]
    params:
      startingCash: 10000
      policy: { name: orcl-next-open, onBars: next_open, slippage: { bps: 5 } }
      commission: { perUnit: 0.005, minimum: 1 }
      strategy:
        name: sma15
        direction: long_short
        enterLong: { crossAbove: [close, sma15] }
        enterShort: { crossBelow: [close, sma15] }
        sizing: { kind: fixed_units, units: 1000 }
  orders: { op: orders, in: broker }
  fills: { op: fills, in: broker }
  positions: { op: positions, in: broker }
  equity: { op: equity, in: broker }
sinks:
  - { type: duckdb, in: orders }
  - { type: duckdb, in: fills }
  - { type: duckdb, in: positions }
  - { type: duckdb, in: equity }
`;

const bars = orclBars();

/** The PaperBroker-level run of smaCrossover.test.ts (SMA computed inline there, by the indicator here). */
function brokerLevel(): { events: BrokerEvent[]; broker: PaperBroker } {
  const broker = new PaperBroker({
    startingCash: 10_000,
    policy: { name: "orcl-next-open", onBars: "next_open", slippage: { bps: 5 } },
    defaultCommission: { perUnit: 0.005, minimum: 1 },
  });
  const strategy = new RuleStrategy({
    name: "sma15",
    direction: "long_short",
    enterLong: { crossAbove: ["close", "sma15"] },
    enterShort: { crossBelow: ["close", "sma15"] },
    sizing: { kind: "fixed_units", units: 1000 },
  });
  const closes: number[] = [];
  const events: BrokerEvent[] = [];
  for (const bar of bars) {
    events.push(...broker.onBar(bar));
    closes.push(bar.close);
    const sma15 = closes.length >= 15 ? closes.slice(-15).reduce((a, b) => a + b, 0) / 15 : undefined;
    events.push(...strategy.onBar(bar, { sma15 }, broker));
  }
  return { events, broker };
}

describe("sma15-orcl pipeline (paperBroker on real ORCL daily bars)", async () => {
  const pipeline = parsePipeline(SMA15_PIPELINE, "sma15-orcl.yaml");
  const { out, summary } = await runBars(pipeline, bars, 64);
  const fills = out.get<Fill>("fills");
  const equity = out.get<EquitySnapshot>("equity");
  const ref = brokerLevel();

  it("fills exactly as the PaperBroker-level pinned test: 33 fills, first buy 1000 on 1995-01-26 at the open + 5 bps", () => {
    const want = fillsOf(ref.events);
    expect(fills).toHaveLength(33);
    expect(fills.length).toBe(want.length);
    fills.forEach((f, i) => {
      const w = want[i]!;
      expect([f.id, f.side, f.qty, f.commission, f.tsEvent, f.policy]).toEqual([w.id, w.side, w.qty, w.commission, w.tsEvent, "orcl-next-open"]);
      expect(f.price).toBeCloseTo(w.price, 12);
    });
    expect(fills[0]).toMatchObject({ side: "buy", qty: 1000, commission: 5, id: expect.stringMatching(/^sma15:ORCL:/) });
    expect(fills[0]!.price).toBeCloseTo(2.154321 * 1.0005, 12);
    expect(fills[0]!.tsPrice).toBe(BigInt(Date.parse("1995-01-26T00:00:00Z")) * 1_000_000n);
    expect(fills[1]).toMatchObject({ side: "sell", qty: 2000, commission: 10 });
    expect(fills[1]!.price).toBeCloseTo(2.123457 * 0.9995, 12);
  });

  it("ends with the pinned equity and one equity and position snapshot per bar", () => {
    expect(equity).toHaveLength(bars.length);
    expect(out.get<PositionSnapshot>("positions")).toHaveLength(bars.length);
    expect(equity.at(-1)!.equity).toBeCloseTo(8313.7490275, 6);
    expect(equity.at(-1)!.equity).toBeCloseTo(ref.broker.equity(), 9);
    const orders = out.get<Order>("orders");
    expect(orders.filter((o) => o.status === "filled")).toHaveLength(33);
  });

  it("gives the statistics of the pinned test (Sharpe, max drawdown, win rate 7/32)", () => {
    const s = summarizeBacktest(
      { equity, fills, positions: [], orders: [] },
      { buyAndHold: buyAndHoldOf(bars), startTs: bars[0]!.tsOpen, timeframe: "1d" },
      { riskFreeRate: 0.02 },
    )!;
    const want = backtestStats({
      equity: equityCurve(ref.events, 10_000, bars[0]!.tsOpen),
      trades: ref.broker.closedTrades,
      periodsPerYear: periodsPerYear("1d"),
      riskFreeRate: 0.02,
      buyAndHold: buyAndHoldOf(bars),
    });
    expect(s.stats.trades).toBe(32);
    expect(s.stats.winRate).toBe(7 / 32);
    for (const k of ["totalReturn", "cagr", "sharpe", "sortino", "maxDrawdown", "profitFactor", "sqn", "exposure", "buyAndHoldReturn", "expectancy"] as const) {
      expect(s.stats[k], k).toBeCloseTo(want[k], 9);
    }
    expect(s.trades.map((t) => t.pnl)).toEqual(ref.broker.closedTrades.map((t) => t.pnl).map((p) => expect.closeTo(p, 9)));
  });

  it("gives the same outputs and digest whatever the batch size, and on a second run", async () => {
    for (const batch of [1, 7, 250]) {
      const again = await runBars(pipeline, bars, batch);
      expect(again.summary.digest, `batch ${batch}`).toBe(summary.digest);
      expect(again.summary.perNodeDigest).toEqual(summary.perNodeDigest);
    }
  });
});
