// Conventions a migrating user needs, each expressible and each checked against an independent computation:
// sizing at the fill, closing at the end, crossover definitions, whole and fractional units, cash and margin
// accounts. The backtesting.py SmaCross run on 20 years of ORCL is reproduced by a plain loop written from
// backtesting.py's published broker rules (_process_orders: close at the open, then size
// int(0.9999 * margin_available / price) whole shares; crossover strict on both bars).
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadPipeline } from "../../app/loadPipeline.ts";
import type { Bar } from "../../schemas/bar.ts";
import type { Fill } from "../../schemas/fill.ts";
import type { EquitySnapshot } from "../../schemas/position.ts";
import type { Order } from "../../schemas/order.ts";
import type { FeatureRow } from "../../schemas/features.ts";
import { parseMarketFile } from "../../sources/importers/parseMarketFile.ts";
import { PaperBroker } from "../../trading/PaperBroker.ts";
import { RuleStrategy } from "../../trading/RuleStrategy.ts";
import { RuleEvaluator, parseStrategyRules, type Row } from "../../trading/strategyRules.ts";
import { tradesFromFills } from "../../replay/backtestSummary.ts";
import { runBars } from "./pipelineHelpers.ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/duckdb.ts";

const ORCL_FULL = fileURLToPath(new URL("../../../shared/data/market/orcl-1995-2014.txt", import.meta.url));
const PIPELINE = fileURLToPath(new URL("../../pipelines/sma-cross-backtestingpy.yaml", import.meta.url));
const DAY = 86_400_000_000_000n;

function orclFull(): Bar[] {
  if (!existsSync(ORCL_FULL)) throw new Error(`${ORCL_FULL} is missing: these tests need ../shared/data beside the repository`);
  const r = parseMarketFile(readFileSync(ORCL_FULL, "utf8"), { symbol: "ORCL", file: ORCL_FULL });
  if (r.kind !== "bar" || r.errors.length) throw new Error("ORCL did not parse as bars");
  return r.bars;
}

/** A daily bar `i` days after 2020-01-01 (UTC), with the given open and close. */
function bar(i: number, open: number, close: number): Bar {
  const tsOpen = 1_577_836_800_000_000_000n + BigInt(i) * DAY;
  return {
    symbol: "AAA",
    timeframe: "1d",
    tsOpen,
    tsEvent: tsOpen + DAY,
    open,
    high: Math.max(open, close),
    low: Math.min(open, close),
    close,
    volume: 1000,
    vwap: close,
    trades: 0,
  };
}

/**
 * backtesting.py's SmaCross on bars, written from its broker's rules (not from tickflow's classes): on bar i the
 * broker first processes the order sent on bar i-1 at open[i] (closing the open trade at the open, then sizing
 * int(0.9999 * equity // open) whole shares with margin 1 and no commission), then the strategy sees bar i's
 * close. The open trade is closed at the last close. The SMAs are the pipeline's own (its indicators node): which
 * float a rolling mean rounds to is the indicator's business, tested in tests/operators/indicators; here the
 * broker and strategy rules are under test.
 */
function backtestingPySmaCross(bars: readonly Bar[], s1: readonly number[], s2: readonly number[], cash0: number) {
  const close = bars.map((b) => b.close);
  const crossover = (a: readonly number[], b: readonly number[], i: number) => i > 0 && a[i - 1]! < b[i - 1]! && a[i]! > b[i]!;
  let cash = cash0;
  let size = 0;
  let entry = 0;
  let order: 1 | -1 | 0 = 0;
  const trades: { size: number; entry: number; exit: number; pnl: number }[] = [];
  const closeTrade = (price: number) => {
    if (size === 0) return;
    cash += size * (price - entry);
    trades.push({ size, entry, exit: price, pnl: size * (price - entry) });
    size = 0;
  };
  const equity: number[] = [];
  for (let i = 0; i < bars.length; i++) {
    if (order !== 0) {
      const open = bars[i]!.open;
      closeTrade(open);
      const units = Math.floor((0.9999 * cash) / open);
      if (units > 0) {
        size = order * units;
        entry = open;
      }
      order = 0;
    }
    equity.push(cash + size * (close[i]! - entry));
    if (crossover(s1, s2, i)) order = 1;
    else if (crossover(s2, s1, i)) order = -1;
  }
  closeTrade(close.at(-1)!);
  return { trades, finalEquity: cash, equity };
}

/** sma1 and sma2 per bar from the indicators node's rows (NaN during warm-up). */
const smas = (rows: readonly FeatureRow[]): [number[], number[]] => [rows.map((r) => r.values.sma1 ?? NaN), rows.map((r) => r.values.sma2 ?? NaN)];

describe("backtesting.py's SmaCross as a pipeline (pipelines/sma-cross-backtestingpy.yaml)", () => {
  it("matches a loop written from backtesting.py's rules, trade by trade, on 20 years of ORCL", async () => {
    const bars = orclFull();
    expect(bars.length).toBeGreaterThan(4000);
    const { out } = await runBars(await loadPipeline(PIPELINE), bars, 512);
    const want = backtestingPySmaCross(bars, ...smas(out.get<FeatureRow>("indicators")), 10_000);
    const fills = out.get<Fill>("fills");
    const trades = tradesFromFills(fills);
    expect(trades.length).toBe(want.trades.length);
    expect(want.trades.length).toBeGreaterThan(100);
    for (let i = 0; i < trades.length; i++) {
      expect(trades[i]!.qty * (trades[i]!.side === "long" ? 1 : -1)).toBe(want.trades[i]!.size);
      // A reversal is one fill booked as a close and an open: its entry price carries float noise of the booking.
      expect(trades[i]!.entryPrice).toBeCloseTo(want.trades[i]!.entry, 12);
      expect(trades[i]!.exitPrice).toBeCloseTo(want.trades[i]!.exit, 12);
    }
    const equity = out.get<EquitySnapshot>("equity");
    expect(equity.at(-1)!.equity).toBeCloseTo(want.finalEquity, 6);
    // Closed at the end: flat, the last fill at the last bar's close.
    expect(fills.at(-1)!.price).toBe(bars.at(-1)!.close);
    expect(equity.at(-1)!.grossExposure).toBe(0);
  });

  it("sized at the signal instead, the run drifts from backtesting.py's (the convention is what makes it match)", async () => {
    const bars = orclFull();
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, "signal.yaml");
      writeFileSync(file, readFileSync(PIPELINE, "utf8").replace("at: fill", "at: signal"));
      const { out } = await runBars(await loadPipeline(file), bars, 512);
      const trades = tradesFromFills(out.get<Fill>("fills"));
      const want = backtestingPySmaCross(bars, ...smas(out.get<FeatureRow>("indicators")), 10_000);
      const sizes = trades.map((t) => t.qty * (t.side === "long" ? 1 : -1));
      expect(sizes).not.toEqual(want.trades.map((t) => t.size));
    } finally {
      cleanup();
    }
  });
});

describe("sizing at the fill", () => {
  const rules = (at: "fill" | "signal") =>
    parseStrategyRules({
      name: "s",
      direction: "long_short",
      enterLong: { above: ["close", 100] },
      enterShort: { below: ["close", 100] },
      sizing: { kind: "percent_equity", percent: 50, at },
    });
  function run(at: "fill" | "signal", bars: Bar[]) {
    const broker = new PaperBroker({ startingCash: 10_000, policy: { name: "next-open", slippage: { bps: 10 } }, defaultCommission: { perUnit: 0.01 } });
    const s = new RuleStrategy(rules(at));
    const orders: Order[] = [];
    for (const b of bars) {
      for (const e of [...s.beforeBar(b, broker), ...broker.onBar(b), ...s.onBar(b, {}, broker)]) if (e.type === "order") orders.push(e.order);
    }
    return { broker, orders: orders.filter((o) => o.status === "accepted") };
  }
  const bars = [bar(0, 99, 101), bar(1, 120, 90), bar(2, 80, 85)];

  it("sizes at the next open with slippage and per-unit cost, after closing the previous position there", () => {
    const { orders } = run("fill", bars);
    // Bar 0 closes at 101 (> 100): long, sized at bar 1's open 120 slipped 10 bps = 120.12, cost 0.01 a share.
    expect(orders[0]!.side).toBe("buy");
    expect(orders[0]!.qty).toBe(Math.floor((0.5 * 10_000) / (120 * 1.001 + 0.01)));
    // Bar 1 closes at 90: short; at bar 2's open (80, sell slipped to 79.92) the long is closed, then 50 % of that equity.
    const long = orders[0]!.qty;
    const fillIn = 120 * 1.001;
    const cashAfterBuy = 10_000 - long * fillIn - long * 0.01;
    const exit = 80 * (1 - 0.001);
    const equityAfterClose = cashAfterBuy + long * exit - long * 0.01;
    const shortUnits = Math.floor((0.5 * equityAfterClose) / (exit + 0.01));
    expect(orders[1]!.side).toBe("sell");
    expect(orders[1]!.qty).toBe(long + shortUnits);
  });

  it("at the signal it sizes at the signal bar's close", () => {
    const { orders } = run("signal", bars);
    expect(orders[0]!.qty).toBe(Math.floor((0.5 * 10_000) / 101));
  });

  it("the order carries the decision's time, so it fills on the next bar and the checkpointed state holds the pending side", () => {
    const broker = new PaperBroker({ startingCash: 10_000, policy: { name: "next-open" } });
    const s = new RuleStrategy(rules("fill"));
    broker.onBar(bars[0]!);
    expect(s.onBar(bars[0]!, {}, broker)).toEqual([]);
    const resumed = RuleStrategy.fromState(rules("fill"), structuredClone(s.toState()));
    const events = resumed.beforeBar(bars[1]!, broker);
    const order = events.find((e) => e.type === "order")!;
    expect(order.type === "order" && order.order.tsSubmitted).toBe(bars[0]!.tsEvent);
    const fills = broker.onBar(bars[1]!).filter((e) => e.type === "fill");
    expect(fills).toHaveLength(1);
    expect(fills[0]!.type === "fill" && fills[0]!.fill.price).toBe(120);
  });
});

describe("whole and fractional units", () => {
  it("whole rounds down to lots; fractional keeps the fraction (to 1e-8)", () => {
    const go = (units: "whole" | "fractional") => {
      const broker = new PaperBroker({ startingCash: 1000, policy: { name: "close", onBars: "signal_close" } });
      const s = new RuleStrategy(
        parseStrategyRules({
          name: "s",
          enterLong: { above: ["close", 0] },
          exitLong: { below: ["close", 0] },
          sizing: { kind: "percent_equity", percent: 100, units },
        }),
      );
      const b = bar(0, 300, 300);
      broker.onBar(b);
      s.onBar(b, {}, broker);
      return broker.position("AAA");
    };
    expect(go("whole")).toBe(3);
    expect(go("fractional")).toBeCloseTo(1000 / 300, 8);
    expect(go("fractional")).toBeLessThanOrEqual(1000 / 300);
  });
});

describe("crossover definitions", () => {
  const evaluate = (crossover: "inclusive" | "strict" | "last_nonzero", diffs: number[]) => {
    const ev = new RuleEvaluator(
      parseStrategyRules({
        name: "x",
        crossover,
        enterLong: { crossAbove: ["a", "b"] },
        exitLong: { crossBelow: ["a", "b"] },
        sizing: { kind: "fixed_units", units: 1 },
      }),
    );
    return diffs.map((d) => ev.next("S", { a: 10 + d, b: 10 } as Row));
  };
  it("a rise from a touch: inclusive crosses, strict does not, last_nonzero does when it came from below", () => {
    const fromBelow = [-1, 0, 1];
    expect(evaluate("inclusive", fromBelow)).toEqual([0, 0, 1]);
    expect(evaluate("strict", fromBelow)).toEqual([0, 0, 0]);
    expect(evaluate("last_nonzero", fromBelow)).toEqual([0, 0, 1]);
    const fromAbove = [1, 0, 1];
    expect(evaluate("inclusive", fromAbove)).toEqual([0, 0, 1]);
    expect(evaluate("strict", fromAbove)).toEqual([0, 0, 0]);
    expect(evaluate("last_nonzero", fromAbove)).toEqual([0, 0, 0]);
    expect(evaluate("strict", [-1, 1])).toEqual([0, 1]);
  });
  it("last_nonzero remembers across rows whichever rule is consulted, and through a checkpoint", () => {
    const rules = parseStrategyRules({
      name: "x",
      crossover: "last_nonzero",
      enterLong: { crossAbove: ["a", "b"] },
      exitLong: { crossBelow: ["a", "b"] },
      sizing: { kind: "fixed_units", units: 1 },
    });
    const ev = new RuleEvaluator(rules);
    for (const d of [-1, 0, 0]) ev.next("S", { a: 10 + d, b: 10 });
    const again = new RuleEvaluator(rules);
    again.fromState(structuredClone(ev.toState()));
    expect(again.next("S", { a: 11, b: 10 })).toBe(1);
  });
});

describe("cash and margin accounts", () => {
  const buy = (b: PaperBroker, qty: number, ts: bigint) => b.submit({ symbol: "AAA", side: "buy", orderType: "market", qty, tsEvent: ts });
  const sell = (b: PaperBroker, qty: number, ts: bigint) => b.submit({ symbol: "AAA", side: "sell", orderType: "market", qty, tsEvent: ts });
  const status = (events: ReturnType<PaperBroker["submit"]>) => {
    const o = events.find((e) => e.type === "order");
    return o?.type === "order" ? [o.order.status, o.order.reason ?? ""] : [];
  };

  it("a cash account refuses a short sale and a buy beyond its cash (counting working buys and commission), with the reason", () => {
    const b = new PaperBroker({ startingCash: 1000, policy: { name: "next-open" }, accountType: { type: "cash" }, defaultCommission: { minimum: 1 } });
    b.onBar(bar(0, 100, 100));
    expect(status(sell(b, 1, bar(0, 1, 1).tsEvent))).toEqual(["rejected", expect.stringMatching(/cash account: cannot sell AAA short/)]);
    expect(status(buy(b, 10, bar(0, 1, 1).tsEvent))).toEqual(["rejected", expect.stringMatching(/insufficient cash: buying 10 AAA at 100 needs 1001/)]);
    expect(status(buy(b, 5, bar(0, 1, 1).tsEvent))[0]).toBe("accepted");
    // 500 of the 1000 are promised to the working buy.
    expect(status(buy(b, 5, bar(0, 1, 1).tsEvent))).toEqual(["rejected", expect.stringMatching(/cash available 500/)]);
    b.onBar(bar(1, 100, 100));
    expect(b.cash).toBeGreaterThanOrEqual(0);
    expect(status(sell(b, 5, bar(1, 1, 1).tsEvent))[0]).toBe("accepted"); // selling what it holds is fine
  });

  it("a margin account's buying power is leverage x equity; leverage 2 by default", () => {
    const b = new PaperBroker({ startingCash: 1000, policy: { name: "next-open" }, accountType: { type: "margin" } });
    b.onBar(bar(0, 100, 100));
    expect(status(buy(b, 21, bar(0, 1, 1).tsEvent))).toEqual([
      "rejected",
      expect.stringMatching(/insufficient buying power: gross exposure would reach 2100, buying power 2000 \(equity 1000 x leverage 2\)/),
    ]);
    expect(status(sell(b, 20, bar(0, 1, 1).tsEvent))[0]).toBe("accepted");
    const one = new PaperBroker({ startingCash: 1000, policy: { name: "next-open" }, accountType: { type: "margin", leverage: 1 } });
    one.onBar(bar(0, 100, 100));
    expect(status(buy(one, 11, bar(0, 1, 1).tsEvent))[0]).toBe("rejected");
    expect(status(buy(one, 10, bar(0, 1, 1).tsEvent))[0]).toBe("accepted");
  });

  it("a cash account sized at the fill never goes below zero cash over 20 years of ORCL", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, "cash.yaml");
      writeFileSync(
        file,
        readFileSync(PIPELINE, "utf8")
          .replace("accountType: margin", "accountType: cash")
          .replace("      leverage: 1\n", "")
          .replace("direction: long_short", "direction: long_only")
          .replace("enterShort: { crossBelow: [sma1, sma2] }", "exitLong: { crossBelow: [sma1, sma2] }")
          .replace("percent: 99.99", "percent: 100"),
      );
      const { out } = await runBars(await loadPipeline(file), orclFull(), 1024);
      const equity = out.get<EquitySnapshot>("equity");
      expect(out.get<Fill>("fills").length).toBeGreaterThan(100);
      expect(Math.min(...equity.map((e) => e.cash))).toBeGreaterThanOrEqual(0);
      const rejected = out.get<Order>("orders").filter((o) => o.status === "rejected");
      expect(rejected).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
