// Pins a close-vs-SMA(15) long/short crossover on 250 real ORCL daily bars (1995) against an independent,
// plain-array calculation written here: fills bar by bar, final equity, and the statistics.
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { PaperBroker, RuleStrategy, backtestStats, buyAndHoldOf, equityCurve, periodsPerYear, type BrokerEvent } from "../../trading/index.ts";
import { fills, loadDailyBars } from "./helpers.ts";

const FIXTURE = fileURLToPath(new URL("../fixtures/trading/orcl-1995-daily.csv", import.meta.url));
const N = 15;
const UNITS = 1000;
const BPS = 5;
const START = 10_000;
const commission = (qty: number) => Math.max(1, 0.005 * qty);

const bars = loadDailyBars(FIXTURE, "ORCL");

function runBroker(): { events: BrokerEvent[]; broker: PaperBroker } {
  const broker = new PaperBroker({
    startingCash: START,
    policy: { name: "orcl-next-open", onBars: "next_open", slippage: { bps: BPS } },
    defaultCommission: { perUnit: 0.005, minimum: 1 },
  });
  const strategy = new RuleStrategy({
    name: "sma15",
    direction: "long_short",
    enterLong: { crossAbove: ["close", "sma15"] },
    enterShort: { crossBelow: ["close", "sma15"] },
    sizing: { kind: "fixed_units", units: UNITS },
  });
  const closes: number[] = [];
  const events: BrokerEvent[] = [];
  for (const bar of bars) {
    events.push(...broker.onBar(bar));
    closes.push(bar.close);
    // Rolling SMA known at the bar's end (an operator's job in a pipeline; computed inline here).
    const sma15 = closes.length >= N ? closes.slice(-N).reduce((a, b) => a + b, 0) / N : undefined;
    events.push(...strategy.onBar(bar, { sma15 }, broker));
  }
  return { events, broker };
}

/** The same strategy by hand: plain arrays, a loop, no library code. */
function byHand() {
  const close = bars.map((b) => b.close);
  const sma = close.map((_, i) => (i + 1 >= N ? close.slice(i + 1 - N, i + 1).reduce((a, b) => a + b, 0) / N : NaN));
  const expectedFills: { bar: number; side: "buy" | "sell"; qty: number; price: number; commission: number }[] = [];
  let pos = 0;
  let cash = START;
  let want = 0; // position wanted after the signal on the previous bar
  const equity: number[] = [START];
  for (let t = 0; t < bars.length; t++) {
    const b = bars[t]!;
    if (want !== pos) {
      const qty = Math.abs(want - pos);
      const side = want > pos ? "buy" : "sell";
      const raw = side === "buy" ? b.open * (1 + BPS / 1e4) : b.open * (1 - BPS / 1e4);
      const price = Math.min(Math.max(raw, b.low), b.high);
      expectedFills.push({ bar: t, side, qty, price, commission: commission(qty) });
      cash += (side === "buy" ? -1 : 1) * qty * price - commission(qty);
      pos = want;
    }
    equity.push(cash + pos * b.close);
    if (t >= N) {
      if (close[t - 1]! <= sma[t - 1]! && close[t]! > sma[t]!) want = UNITS;
      else if (close[t - 1]! >= sma[t - 1]! && close[t]! < sma[t]!) want = -UNITS;
    }
  }
  return { expectedFills, finalEquity: cash + pos * close.at(-1)!, equity };
}

describe("SMA(15) crossover on ORCL 1995 daily bars", () => {
  const { events, broker } = runBroker();
  const hand = byHand();

  it("fills bar by bar at the next open +/- 5 bps, with the commission, exactly as the hand calculation", () => {
    const got = fills(events).map((f) => ({
      bar: bars.findIndex((b) => b.tsEvent === f.tsEvent),
      side: f.side,
      qty: f.qty,
      price: f.price,
      commission: f.commission,
    }));
    expect(got.length).toBe(hand.expectedFills.length);
    got.forEach((g, i) => {
      const e = hand.expectedFills[i]!;
      expect([g.bar, g.side, g.qty, g.commission]).toEqual([e.bar, e.side, e.qty, e.commission]);
      expect(g.price).toBeCloseTo(e.price, 10);
    });
    // Checked against the CSV by hand: on 1995-01-25 (bar 16) the close 2.160494 rises above SMA(15) 2.1337448
    // (bar 15: close 2.117284 <= SMA 2.1320987), so bar 17 (1995-01-26) buys 1000 at its open 2.154321 * 1.0005.
    // Bar 17 closes at 2.117284 < SMA 2.1353909: bar 18 (1995-01-27) sells 2000 at its open 2.123457 * 0.9995.
    expect(got[0]).toMatchObject({ bar: 17, side: "buy", qty: 1000, commission: 5 });
    expect(got[0]!.price).toBeCloseTo(2.154321 * 1.0005, 12);
    expect(got[1]).toMatchObject({ bar: 18, side: "sell", qty: 2000, commission: 10 });
    expect(got[1]!.price).toBeCloseTo(2.123457 * 0.9995, 12);
  });

  it("ends with the hand-computed equity", () => {
    expect(broker.equity()).toBeCloseTo(hand.finalEquity, 8);
    // Pinned: 33 fills (1 entry + 32 reversals) leave 8313.75 of the 10000 (a whipsawing year for close/SMA(15)).
    expect(fills(events)).toHaveLength(33);
    expect(broker.equity()).toBeCloseTo(8313.7490275, 6);
    const curve = equityCurve(events, START, bars[0]!.tsOpen);
    expect(curve.map((p) => p.equity)).toHaveLength(hand.equity.length);
    curve.forEach((p, i) => expect(p.equity).toBeCloseTo(hand.equity[i]!, 8));
  });

  it("reports statistics that match an independent Sharpe and max drawdown", () => {
    const curve = equityCurve(events, START, bars[0]!.tsOpen);
    const s = backtestStats({
      equity: curve,
      trades: broker.closedTrades,
      periodsPerYear: periodsPerYear("1d"),
      riskFreeRate: 0.02,
      buyAndHold: buyAndHoldOf(bars),
    });
    const eq = hand.equity;
    const r = eq.slice(1).map((e, i) => e / eq[i]! - 1);
    const m = r.reduce((a, b) => a + b, 0) / r.length;
    const sd = Math.sqrt(r.reduce((a, x) => a + (x - m) ** 2, 0) / (r.length - 1));
    const rf = 1.02 ** (1 / 252) - 1;
    expect(s.sharpe).toBeCloseTo(((m - rf) / sd) * Math.sqrt(252), 8);
    let peak = -Infinity;
    let mdd = 0;
    for (const e of eq) {
      peak = Math.max(peak, e);
      mdd = Math.max(mdd, (peak - e) / peak);
    }
    expect(s.maxDrawdown).toBeCloseTo(mdd, 10);
    expect(s.totalReturn).toBeCloseTo(hand.finalEquity / START - 1, 10);
    expect(s.trades).toBe(broker.closedTrades.length);
    expect(s.trades).toBe(hand.expectedFills.length - 1); // every fill but the first closes a round trip
    expect(s.buyAndHoldReturn).toBeCloseTo(bars.at(-1)!.close / bars[0]!.open - 1, 12);
    expect(s.exposure).toBeGreaterThan(0.9);
    const wins = broker.closedTrades.filter((t) => t.pnl > 0);
    expect(s.winRate).toBe(wins.length / broker.closedTrades.length);
    expect(s.winRate).toBe(7 / 32);
    expect(s.profitFactor).toBeCloseTo(wins.reduce((a, t) => a + t.pnl, 0) / -broker.closedTrades.filter((t) => t.pnl < 0).reduce((a, t) => a + t.pnl, 0), 12);
  });

  it("replays identically: same events, same digest", () => {
    const again = runBroker().events;
    const digest = (ev: BrokerEvent[]) => JSON.stringify(ev, (_, v) => (typeof v === "bigint" ? v.toString() : v));
    expect(digest(again)).toBe(digest(events));
  });
});
