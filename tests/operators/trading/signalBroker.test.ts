// signalBroker: bars × signals → broker events; buy/sell/flat become target positions sized from the bar and inputs.
import { describe, expect, it } from "vitest";
import type { Observable } from "rxjs";
import type { Chunk } from "../../../core/chunk.ts";
import type { Bar } from "../../../schemas/bar.ts";
import type { BrokerEvent } from "../../../schemas/brokerEvent.ts";
import type { Signal } from "../../../schemas/signal.ts";
import { signalBroker, signalStrategyRules, type SignalBrokerOptions, type SignalStrategy } from "../../../operators/signalBroker.ts";
import { bar, fills, MIN, orders } from "../../trading/helpers.ts";
import { chunksOf, interleave, runWhole } from "../../helpers/resume.ts";
import { chunk, END, flat, runJoin } from "../windows/helpers.ts";
import { expectBrokerResumes } from "./savedBroker.ts";

const signal = (minute: bigint, action: Signal["action"], inputs: Record<string, number | string | boolean> = {}, symbol = "AAA"): Signal => ({
  id: `s:${symbol}:${minute}`,
  pipeline: "p",
  symbol,
  tsEvent: minute,
  action,
  strength: 1,
  reason: "test",
  inputs,
});
const strategy = (extra: Partial<SignalStrategy> = {}): SignalStrategy => ({
  name: "m",
  direction: "long_only",
  sizing: { kind: "fixed_units", units: 10 },
  price: "close",
  ...extra,
});
const run = (bars: Bar[], signals: Signal[], s: SignalStrategy, extra: Partial<SignalBrokerOptions> = {}): BrokerEvent[] => {
  const options: SignalBrokerOptions = {
    broker: { startingCash: 100_000, policy: { name: "t", onBars: "next_open" } },
    rules: signalStrategyRules(s),
    onNoBar: () => {
      throw new Error("unexpected: no bar");
    },
    ...extra,
  };
  return flat(runJoin((b: Observable<Chunk<Bar>>, x: Observable<Chunk<Signal>>) => signalBroker(b, x, options), [chunk(bars, END)], [chunk(signals, END)]).out);
};
const bars = [bar(0, 10, 11, 9, 10), bar(1, 12, 13, 11, 12), bar(2, 13, 14, 12, 13), bar(3, 14, 15, 13, 14)];

describe("signalStrategyRules", () => {
  it("long_only: buy enters, sell or flat exits; long_short: sell enters short, flat exits either side", () => {
    expect(signalStrategyRules(strategy())).toMatchObject({
      name: "m",
      direction: "long_only",
      enterLong: { above: ["signal", 0] },
      exitLong: { any: [{ below: ["signal", 0] }, { when: "signal == 0" }] },
    });
    const ls = signalStrategyRules(strategy({ direction: "long_short" }));
    expect(ls).toMatchObject({
      enterLong: { above: ["signal", 0] },
      enterShort: { below: ["signal", 0] },
      exitLong: { when: "signal == 0" },
      exitShort: { when: "signal == 0" },
    });
  });
});

describe("signalBroker", () => {
  it("long_only: buy goes long, sell goes flat; fills at the next bar's open", () => {
    const events = run(bars, [signal(MIN, "buy"), signal(2n * MIN, "sell")], strategy());
    expect(fills(events).map((f) => [f.side, f.qty, f.price])).toEqual([
      ["buy", 10, 12],
      ["sell", 10, 13],
    ]);
  });

  it("long_short: sell goes short", () => {
    const events = run(bars, [signal(MIN, "sell")], strategy({ direction: "long_short" }));
    expect(fills(events).map((f) => [f.side, f.qty])).toEqual([["sell", 10]]);
  });

  it("sizes from the signal's numeric inputs overlaid with the latest bar (the bar's close wins over an input named close)", () => {
    const vol = run(
      bars,
      [signal(MIN, "buy", { atr: 2, note: "x" })],
      strategy({ sizing: { kind: "volatility_target", riskFraction: 0.01, volatility: "atr" } }),
    );
    expect(orders(vol)[0]!.qty).toBe(500); // 0.01 × 100000 / 2
    const pct = run(bars, [signal(MIN, "buy", { close: 1 })], strategy({ sizing: { kind: "percent_equity", percent: 10 } }));
    expect(orders(pct)[0]!.qty).toBe(1000); // 10% of 100000 at the bar's close 10, not the input's 1
  });

  it("sends a signal whose symbol has no bar yet to onNoBar with the reason", () => {
    const noBar: string[] = [];
    const events = run(bars, [signal(MIN, "buy", {}, "ZZZ")], strategy(), { onNoBar: (s, reason) => noBar.push(`${s.id}: ${reason}`) });
    expect(orders(events)).toEqual([]);
    expect(noBar).toEqual([`s:ZZZ:${MIN}: no ZZZ bar at or before this signal: nothing to price or size the order with (is the symbol in the bars input?)`]);
  });

  it("resumes from a checkpoint after any chunk", () => {
    const actions: Signal["action"][] = ["buy", "buy", "sell", "flat", "sell", "buy", "flat"];
    const many: Bar[] = [];
    const signals: Signal[] = [];
    for (let i = 0; i < 40; i++) {
      for (const [k, symbol] of ["AAA", "BBB"].entries()) {
        const c = 50 + 3 * Math.sin(i / 3 + 2 * k);
        many.push(bar(i, c + 0.1, c + 0.8, c - 0.8, c, 200, symbol));
        // Half a minute into bar i + 1: decided on bar i, filled from bar i + 2 on (next_open).
        if (i % 3 === k) signals.push(signal(BigInt(i + 1) * MIN + 30_000_000_000n, actions[(i + k) % actions.length]!, { atr: 1 + (i % 5) / 4 }, symbol));
      }
    }
    const options: SignalBrokerOptions = {
      broker: {
        startingCash: 100_000,
        policy: { name: "p", participation: 0.25 },
        defaultCommission: { perUnit: 0.005, minimum: 1 },
        risk: { maxDailyLoss: 50_000 },
      },
      rules: signalStrategyRules(strategy({ direction: "long_short", sizing: { kind: "volatility_target", riskFraction: 0.01, volatility: "atr" } })),
      onNoBar: () => {
        throw new Error("unexpected: no bar");
      },
    };
    const build = ([b, s]: Observable<Chunk<never>>[]) => signalBroker(b!, s!, options);
    const feeds = interleave(chunksOf(many, 6, 0), chunksOf(signals, 2, 1));
    const whole = runWhole(build, 2, feeds);
    expect(fills(whole).length).toBeGreaterThan(10);
    expectBrokerResumes(build, feeds, whole);
  });
});
