// ruleBroker: bars × feature rows → broker events; rules decide on each row, orders carry the row's time.
import { describe, expect, it } from "vitest";
import type { Observable } from "rxjs";
import type { Chunk } from "../../../core/chunk.ts";
import type { Bar } from "../../../schemas/bar.ts";
import type { BrokerEvent } from "../../../schemas/brokerEvent.ts";
import type { FeatureRow } from "../../../schemas/features.ts";
import { ruleBroker, type RuleBrokerOptions } from "../../../operators/ruleBroker.ts";
import { parseStrategyRules } from "../../../trading/strategyRules.ts";
import { bar, fills, MIN, orders } from "../../trading/helpers.ts";
import { chunksOf, interleave, runWhole } from "../../helpers/resume.ts";
import { chunk, END, flat, runJoin } from "../windows/helpers.ts";
import { expectBrokerResumes } from "./savedBroker.ts";

const rules = parseStrategyRules({
  name: "x",
  direction: "long_only",
  enterLong: { above: ["x", 0] },
  exitLong: { below: ["x", 0] },
  sizing: { kind: "fixed_units", units: 10 },
});
const row = (minute: bigint, x: number, symbol = "AAA"): FeatureRow => ({ id: `${symbol}:${minute}`, symbol, tsEvent: minute, timeframe: "1m", values: { x } });
const run = (bars: Bar[], rows: FeatureRow[], extra: Partial<RuleBrokerOptions> = {}): BrokerEvent[] => {
  const options: RuleBrokerOptions = {
    broker: { startingCash: 10_000, policy: { name: "t", onBars: "next_open" } },
    rules,
    onNoBar: () => {
      throw new Error("unexpected: no bar");
    },
    ...extra,
  };
  return flat(runJoin((b: Observable<Chunk<Bar>>, r: Observable<Chunk<FeatureRow>>) => ruleBroker(b, r, options), [chunk(bars, END)], [chunk(rows, END)]).out);
};

describe("ruleBroker", () => {
  it("enters when the rule holds on a row and fills on the next bar's open", () => {
    const events = run([bar(0, 10, 11, 9, 10), bar(1, 12, 13, 11, 12), bar(2, 13, 14, 12, 13)], [row(MIN, -1), row(2n * MIN, 1)]);
    expect(orders(events).map((o) => [o.side, o.qty, o.status])).toEqual([
      ["buy", 10, "accepted"],
      ["buy", 10, "filled"],
    ]);
    expect(orders(events)[0]!.tsSubmitted).toBe(2n * MIN);
    expect(fills(events).map((f) => [f.price, f.tsPrice])).toEqual([[13, 2n * MIN]]);
  });

  it("stamps orders with the row's time, not the earlier bar's, so a bar that opened before the row cannot fill them", () => {
    const events = run([bar(0, 10, 11, 9, 10), bar(1, 12, 13, 11, 12), bar(2, 13, 14, 12, 13)], [row(MIN + 30_000_000_000n, 1)]);
    expect(orders(events)[0]!.tsSubmitted).toBe(MIN + 30_000_000_000n);
    expect(fills(events).map((f) => f.price)).toEqual([13]); // bar 1 opened at 1m, before the row: bar 2 fills
  });

  it("sends a row whose symbol has no bar yet to onNoBar with the reason, and places nothing", () => {
    const noBar: [string, string][] = [];
    const events = run([bar(0, 10, 11, 9, 10)], [row(MIN, 1, "ZZZ")], { onNoBar: (r, reason) => noBar.push([r.id, reason]) });
    expect(orders(events)).toEqual([]);
    expect(noBar).toEqual([
      [`ZZZ:${MIN}`, "no ZZZ bar at or before this feature row: nothing to price or size the order with (is the symbol in the bars input?)"],
    ]);
  });

  it("resumes from a checkpoint after any chunk", () => {
    const crossing = parseStrategyRules({
      name: "cross",
      direction: "long_short",
      enterLong: { crossAbove: ["x", 0] },
      enterShort: { crossBelow: ["x", 0] },
      sizing: { kind: "percent_equity", percent: 30 },
    });
    const bars: Bar[] = [];
    const rows: FeatureRow[] = [];
    for (let i = 0; i < 40; i++) {
      for (const [k, symbol] of ["AAA", "BBB"].entries()) {
        const c = 100 + 5 * Math.sin(i / 4 + k);
        bars.push(bar(i, c - 0.2, c + 1, c - 1, c, 100, symbol));
        rows.push(row(BigInt(i + 1) * MIN, Math.sin(i / 2.5 + k * 1.7), symbol));
      }
    }
    const options: RuleBrokerOptions = {
      // 20 % of a bar's volume: a position takes several bars to fill, so cuts fall between partial fills.
      broker: {
        startingCash: 50_000,
        policy: { name: "p", participation: 0.2, slippage: { bps: 3 } },
        defaultCommission: { perUnit: 0.01, minimum: 1 },
        risk: { maxOrderRate: { count: 2, windowNs: 15 * 60_000_000_000 } },
      },
      rules: crossing,
      onNoBar: () => {
        throw new Error("unexpected: no bar");
      },
    };
    const build = ([b, r]: Observable<Chunk<never>>[]) => ruleBroker(b!, r!, options);
    const feeds = interleave(chunksOf(bars, 5, 0), chunksOf(rows, 7, 1));
    const whole = runWhole(build, 2, feeds);
    expect(fills(whole).length).toBeGreaterThan(10);
    expect(orders(whole).some((o) => o.status === "rejected")).toBe(true);
    expectBrokerResumes(build, feeds, whole);
  });
});
