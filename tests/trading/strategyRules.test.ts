// Rule declarations: validation messages, crossovers, thresholds, probabilities, combinations, long-only/long-short.
import { describe, expect, it } from "vitest";
import { PaperBroker, RuleEvaluator, RuleStrategy, type StrategyRulesError, parseStrategyRules, unitsFor } from "../../trading/index.ts";
import { bar, orders } from "./helpers.ts";

const base = { name: "t", sizing: { kind: "fixed_units", units: 10 } };

describe("parseStrategyRules", () => {
  const err = (x: unknown) => {
    try {
      parseStrategyRules(x, "pipelines/demo.yaml");
    } catch (e) {
      return e as StrategyRulesError;
    }
    throw new Error("expected an error");
  };

  it("names the file, the path and what was expected", () => {
    expect(err({ ...base, enterLong: { when: "rsi14 <> 30" }, exitLong: { when: "rsi14 > 70" } }).message).toBe(
      'pipelines/demo.yaml: enterLong.when: must be a comparison like "rsi14 < 30" or "close >= sma20" (operators < <= > >= == !=)',
    );
    expect(err({ ...base, enterLong: { when: "rsi14 < 30" } }).message).toBe(
      "pipelines/demo.yaml: exitLong: is required for a long_only strategy (otherwise it never exits)",
    );
    expect(err({ ...base, direction: "long_short", enterLong: { crossAbove: ["a", "b"] } }).path).toBe("enterShort");
    expect(err({ ...base, enterLong: { crossAbove: ["close"] }, exitLong: { below: ["close", 1] } }).message).toMatch(
      /^pipelines\/demo.yaml: enterLong.crossAbove/,
    );
    expect(err({ ...base, enterLong: { probability: "p_up" }, exitLong: { below: ["close", 1] } }).message).toMatch(
      /probability needs `above` and\/or `below`/,
    );
    expect(err({ ...base, sizing: { kind: "fixed_units", units: -1 }, enterLong: { above: ["a", 1] }, exitLong: { below: ["a", 1] } }).path).toBe(
      "sizing.units",
    );
  });
});

describe("RuleEvaluator", () => {
  it("crossovers fire on the bar of the cross only; missing values never cross", () => {
    const ev = new RuleEvaluator(parseStrategyRules({ ...base, enterLong: { crossAbove: ["fast", "slow"] }, exitLong: { crossBelow: ["fast", "slow"] } }));
    const rows = [{ fast: 1 }, { fast: 1, slow: 2 }, { fast: 3, slow: 2 }, { fast: 4, slow: 2 }, { fast: 1, slow: 2 }, { fast: 1, slow: 2 }];
    expect(rows.map((r) => ev.next("X", r))).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it("thresholds, probabilities and all/any/not combine; long_short reverses", () => {
    const ev = new RuleEvaluator(
      parseStrategyRules({
        ...base,
        direction: "long_short",
        enterLong: { all: [{ when: "rsi14 < 30" }, { probability: "p_up", above: 0.6 }] },
        enterShort: { any: [{ when: "rsi14 > 70" }, { not: { probability: "p_up", above: 0.2 } }] },
        exitShort: { when: "rsi14 <= 50" },
      }),
    );
    const rows = [
      { rsi14: 25, p_up: 0.5 }, // rsi ok, probability not: stay flat
      { rsi14: 25, p_up: 0.7 }, // long
      { rsi14: 60, p_up: 0.1 }, // p_up <= 0.2: reverse to short
      { rsi14: 55, p_up: 0.5 }, // hold short
      { rsi14: 50, p_up: 0.5 }, // exit short
    ];
    expect(rows.map((r) => ev.next("X", r))).toEqual([0, 1, -1, -1, 0]);
  });
});

describe("RuleStrategy and sizing", () => {
  it("turns a change of side into one market order for the target, sized by the rule", () => {
    const broker = new PaperBroker({ startingCash: 10_000, policy: { name: "p" } });
    const s = new RuleStrategy({
      ...base,
      sizing: { kind: "percent_equity", percent: 50 },
      enterLong: { above: ["close", 100] },
      exitLong: { below: ["close", 100] },
    });
    const b0 = bar(0, 99, 101, 98, 101);
    broker.onBar(b0);
    expect(orders(s.onBar(b0, {}, broker)).map((o) => [o.side, o.qty, o.strategy, o.id])).toEqual([["buy", 49, "t", "t:AAA:60000000000:0"]]);
    const b1 = bar(1, 101, 102, 100, 102);
    broker.onBar(b1);
    expect(s.onBar(b1, {}, broker)).toEqual([]);
  });

  it("sizing rules: fixed units, fixed notional, percent of equity, volatility target, whole lots", () => {
    const x = { price: 50, equity: 100_000, multiplier: 1, lotSize: 1 };
    expect(unitsFor({ kind: "fixed_units", units: 7 }, x)).toBe(7);
    expect(unitsFor({ kind: "fixed_notional", notional: 1_234 }, x)).toBe(24);
    expect(unitsFor({ kind: "percent_equity", percent: 10 }, x)).toBe(200);
    expect(unitsFor({ kind: "percent_equity", percent: 10 }, { ...x, lotSize: 100 })).toBe(200);
    expect(unitsFor({ kind: "percent_equity", percent: 9.9 }, { ...x, lotSize: 100 })).toBe(100);
    expect(unitsFor({ kind: "volatility_target", riskFraction: 0.01, volatility: "atr14" }, { ...x, volatility: 2.5 })).toBe(400);
    expect(unitsFor({ kind: "volatility_target", riskFraction: 0.01, volatility: "atr14", maxPercentEquity: 10 }, { ...x, volatility: 0.5 })).toBe(200);
    expect(unitsFor({ kind: "volatility_target", riskFraction: 0.01, volatility: "atr14" }, { ...x, volatility: undefined })).toBe(0);
    expect(unitsFor({ kind: "fixed_notional", notional: 10_000 }, { ...x, multiplier: 50, price: 4000 })).toBe(0);
  });
});
