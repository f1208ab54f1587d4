// Hand-computed fixtures for the statistics conventions: Sharpe on a 5-point curve, SQN population vs sample,
// Kelly on known wins/losses, and the declaration's `stats` block refused when the convention is unknown.
import { describe, expect, it } from "vitest";
import { backtestStats, type EquityPoint } from "../../trading/stats.ts";
import { backtestingPyStats, backtraderStats, geometricMean } from "../../trading/statsConventions.ts";
import { parsePipeline } from "../../app/loadPipeline.ts";

const DAY = 86_400_000_000_000n;
const curve = (xs: number[]): EquityPoint[] => xs.map((equity, i) => ({ tsEvent: BigInt(i) * DAY, equity, exposed: true }));
const trades = (pnls: number[]) =>
  pnls.map((pnl, i) => ({ pnl, grossPnl: pnl + 1, returnPct: pnl / 100, entryTs: BigInt(i) * DAY, exitTs: BigInt(i + 1) * DAY, commission: 1 }));
const fig = (xs: { label: string; value: number | bigint }[], label: string) => xs.find((x) => x.label === label)!.value;

describe("tickflow convention, new figures", () => {
  const s = backtestStats({
    equity: curve([100, 110, 99, 99, 108.9]),
    trades: trades([10, -5, 20, -15]),
    periodsPerYear: 252,
    benchmark: [10, 11, 9.9, 9.9, 10.89],
  });
  it("Sharpe of a 5-point curve: returns 0.1, -0.1, 0, 0.1", () => {
    // mean 0.025, sample sd = sqrt((0.075² + 0.125² + 0.025² + 0.075²) / 3) = sqrt(0.0275 / 3)
    expect(s.sharpe).toBeCloseTo((0.025 / Math.sqrt(0.0275 / 3)) * Math.sqrt(252), 10);
  });
  it("SQN with the sample and the population deviation", () => {
    // pnl 10, -5, 20, -15: mean 2.5, Σ(x − m)² = 7.5² + 7.5² + 17.5² + 17.5² = 725
    expect(s.sqn).toBeCloseTo((2 * 2.5) / Math.sqrt(725 / 3), 12);
    expect(s.sqnPopulation).toBeCloseTo((2 * 2.5) / Math.sqrt(725 / 4), 12);
  });
  it("Kelly: W − (1 − W) / (mean win / mean loss)", () => {
    expect(s.kelly).toBeCloseTo(0.5 - 0.5 / (15 / 10), 12);
  });
  it("beta 1 and alpha 0 against a benchmark that moves exactly like the equity", () => {
    expect(s.beta).toBeCloseTo(1, 12);
    expect(s.alpha).toBeCloseTo(0, 12);
  });
  it("average drawdown duration: one episode of 2 days", () => {
    expect(s.averageDrawdownDurationNs).toBe(3n * DAY);
  });
});

describe("other conventions on fixtures", () => {
  const input = { equity: curve([100, 110, 99, 99, 108.9]), trades: trades([10, -5, 20, -15]), closes: [10, 11, 9.9, 9.9, 10.89] };
  it("backtrader SQN is population, 0 with one trade; backtesting.py SQN is sample", () => {
    expect(fig(backtraderStats(input), "SQN.sqn")).toBeCloseTo((2 * 2.5) / Math.sqrt(725 / 4), 12);
    expect(fig(backtraderStats({ ...input, trades: trades([10]) }), "SQN.sqn")).toBe(0);
    expect(fig(backtestingPyStats(input), "SQN")).toBeCloseTo((2 * 2.5) / Math.sqrt(725 / 3), 12);
  });
  it("backtesting.py Kelly and geometric mean", () => {
    expect(fig(backtestingPyStats(input), "Kelly Criterion")).toBeCloseTo(0.5 - 0.5 / 1.5, 12);
    expect(geometricMean([0.1, -0.1, NaN])).toBeCloseTo(Math.cbrt(1.1 * 0.9) - 1, 12);
    expect(geometricMean([-1, 0.5])).toBe(0);
  });
  it("backtrader broker cash counts the full notional of shares", () => {
    const f = backtraderStats({ ...input, fills: [{ side: "buy", qty: 10, price: 5, commission: 1 }] });
    expect(fig(f, "broker.getcash()")).toBe(100 - 50 - 1);
  });
});

describe("pipeline stats block", () => {
  const head = "name: p\nsources:\n  bars: { type: bar }\nnodes: {}\n";
  it("refuses an unknown convention naming the field and the valid values", () => {
    expect(() => parsePipeline(`${head}stats: { convention: vectorbt }\n`, "p.yaml")).toThrow(
      /^p\.yaml:5:22: at stats\.convention: Invalid option: expected one of "tickflow"\|"backtesting\.py"\|"backtrader"/,
    );
    expect(() => parsePipeline(`${head}stats: { convension: backtrader }\n`, "p.yaml")).toThrow('at stats.convension: unknown key "convension"');
  });
  it("accepts the three conventions", () => {
    expect(parsePipeline(`${head}stats: { convention: backtrader, riskFreeRate: 0.01 }\n`, "p.yaml").decl.stats).toEqual({
      convention: "backtrader",
      riskFreeRate: 0.01,
    });
  });
});
