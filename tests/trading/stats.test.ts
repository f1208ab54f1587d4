// Backtest statistics on tiny hand-checked curves.
import { describe, expect, it } from "vitest";
import { backtestStats, drawdownEpisodes, periodsPerYear, type EquityPoint } from "../../trading/index.ts";

const curve = (xs: number[], exposed: boolean[] = xs.map(() => true)): EquityPoint[] =>
  xs.map((equity, i) => ({ tsEvent: BigInt(i) * 10n, equity, exposed: exposed[i]! }));

describe("periodsPerYear", () => {
  it("252 trading days; intraday bars count 6.5 h per day unless told otherwise", () => {
    expect(periodsPerYear("1d")).toBe(252);
    expect(periodsPerYear("5d")).toBeCloseTo(50.4, 12);
    expect(periodsPerYear("1h")).toBeCloseTo(252 * 6.5, 9);
    expect(periodsPerYear("1m", { hoursPerDay: 24, tradingDaysPerYear: 365 })).toBeCloseTo(525_600, 6);
  });
});

describe("drawdowns", () => {
  it("finds each episode with depth and duration, including one still open at the end", () => {
    const d = drawdownEpisodes(curve([100, 110, 99, 105, 111, 100, 90, 95]));
    expect(d).toHaveLength(2);
    expect(d[0]).toMatchObject({ peakTs: 10n, troughTs: 20n, recoveryTs: 40n, periods: 3, durationNs: 30n });
    expect(d[0]!.depth).toBeCloseTo(0.1, 12);
    expect(d[1]).toMatchObject({ peakTs: 40n, troughTs: 60n, recoveryTs: undefined, periods: 3 });
    expect(d[1]!.depth).toBeCloseTo(21 / 111, 12);
  });
});

describe("backtestStats", () => {
  it("computes the documented formulas", () => {
    const eq = [100, 110, 99, 105, 111, 100, 90, 95];
    const s = backtestStats({
      equity: curve(eq, [false, true, true, false, true, true, true, false]),
      trades: [
        { pnl: 10, returnPct: 0.1 },
        { pnl: -5, returnPct: -0.05 },
        { pnl: 20, returnPct: 0.2 },
        { pnl: -15, returnPct: -0.1 },
      ],
      periodsPerYear: 252,
      buyAndHold: [
        { symbol: "A", first: 10, last: 12 },
        { symbol: "B", first: 10, last: 9 },
      ],
    });
    const r = eq.slice(1).map((e, i) => e / eq[i]! - 1);
    const m = r.reduce((a, b) => a + b) / r.length;
    const sd = Math.sqrt(r.reduce((a, x) => a + (x - m) ** 2, 0) / (r.length - 1));
    const dd = Math.sqrt(r.reduce((a, x) => a + Math.min(0, x) ** 2, 0) / r.length);
    expect(s.totalReturn).toBeCloseTo(-0.05, 12);
    expect(s.cagr).toBeCloseTo(0.95 ** (252 / 7) - 1, 12);
    expect(s.annualReturn).toBeCloseTo(m * 252, 12);
    expect(s.volatility).toBeCloseTo(sd * Math.sqrt(252), 12);
    expect(s.sharpe).toBeCloseTo((m / sd) * Math.sqrt(252), 12);
    expect(s.sortino).toBeCloseTo((m / dd) * Math.sqrt(252), 12);
    expect(s.maxDrawdown).toBeCloseTo(21 / 111, 12);
    expect(s.calmar).toBeCloseTo(s.cagr / (21 / 111), 12);
    expect(s.averageDrawdown).toBeCloseTo((0.1 + 21 / 111) / 2, 12);
    expect(s.maxDrawdownPeriods).toBe(3);
    expect([s.trades, s.winRate, s.bestTrade, s.worstTrade, s.averageTrade, s.expectancy]).toEqual([4, 0.5, 20, -15, 2.5, 2.5]);
    expect(s.profitFactor).toBe(1.5);
    const pnlSd = Math.sqrt([7.5, -7.5, 17.5, -17.5].reduce((a, x) => a + x * x, 0) / 3);
    expect(s.sqn).toBeCloseTo((2.5 / pnlSd) * 2, 12);
    expect(s.averageTradeReturn).toBeCloseTo(0.0375, 12);
    expect(s.exposure).toBeCloseTo(5 / 7, 12);
    expect(s.buyAndHoldReturn).toBeCloseTo(0.05, 12);
  });

  it("undefined ratios are NaN, not zero", () => {
    const s = backtestStats({ equity: curve([100, 100, 100]), trades: [], periodsPerYear: 252 });
    expect([s.sharpe, s.sortino, s.calmar, s.winRate, s.profitFactor, s.sqn, s.buyAndHoldReturn].every(Number.isNaN)).toBe(true);
    expect(s.maxDrawdown).toBe(0);
    expect(() => backtestStats({ equity: curve([100]), trades: [], periodsPerYear: 252 })).toThrow("backtestStats needs at least 2 equity points, got 1");
  });
});
