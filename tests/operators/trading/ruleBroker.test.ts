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
import { chunk, END, flat, runJoin } from "../windows/helpers.ts";

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
});
