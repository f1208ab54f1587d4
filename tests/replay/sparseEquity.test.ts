// Statistics of a run that snapshots equity only on fills are annualised by elapsed time, not per point.
import { describe, expect, it } from "vitest";
import { summarizeBacktest, emptyRecord } from "../../replay/backtestSummary.ts";
import type { EquitySnapshot } from "../../schemas/index.ts";

const DAY = 86_400_000_000_000n;
const T0 = 1_104_537_600_000_000_000n; // 2005-01-01

function snapshot(day: number, equity: number): EquitySnapshot {
  return {
    account: "paper",
    tsEvent: T0 + BigInt(day) * DAY,
    cash: equity,
    equity,
    grossExposure: 0,
    netExposure: 0,
    marginUsed: 0,
    realizedPnl: equity - 100_000,
    unrealizedPnl: 0,
    commission: 0,
  } as unknown as EquitySnapshot;
}

describe("summarizeBacktest with sparse (on_fill) equity snapshots", () => {
  it("gives the CAGR of the elapsed time: +20% over 3 years is about 6.3% a year, not ~900%", () => {
    // 21 snapshots spread over 3 calendar years of daily bars, ending 20% up.
    const equity = Array.from({ length: 21 }, (_, i) => snapshot(Math.round((i * 3 * 365.25) / 20), 100_000 * (1 + (0.2 * i) / 20)));
    const rec = { ...emptyRecord(), equity };
    const s = summarizeBacktest(rec, { buyAndHold: [], startTs: T0 - DAY, timeframe: "1d" })!;
    expect(s.stats.totalReturn).toBeCloseTo(0.2, 12);
    expect(s.stats.cagr).toBeCloseTo(1.2 ** (1 / 3) - 1, 2);
  });
});
