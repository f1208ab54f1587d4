// A PaperBroker or RuleStrategy saved with toState(), passed through the checkpoint codec and rebuilt with fromState()
// continues exactly like the one that never stopped: same events (order ids, fills, snapshots) and the same final state.
import { describe, expect, it } from "vitest";
import { cloneState, encodeState } from "../../core/stateCodec.ts";
import {
  PaperBroker,
  RuleStrategy,
  type BrokerEvent,
  type OrderRequest,
  type PaperBrokerConfig,
  type PaperBrokerState,
  type ReplaceChanges,
} from "../../trading/index.ts";
import type { Bar } from "../../schemas/bar.ts";
import { DAY, MIN, bar, fills, orders } from "./helpers.ts";

type Step =
  | { readonly bar: Bar }
  | { readonly submit: OrderRequest }
  | { readonly cancel: string; readonly ts: bigint }
  | { readonly replace: string; readonly changes: ReplaceChanges; readonly ts: bigint }
  | { readonly target: number; readonly symbol: string; readonly ts: bigint }
  | { readonly reset: bigint };

const cfg: PaperBrokerConfig = {
  startingCash: 20_000,
  policy: { name: "ckpt", participation: 0.25, slippage: { bps: 2 } },
  defaultCommission: { perUnit: 0.01, minimum: 1 },
  instruments: [{ symbol: "BBB", multiplier: 10, initialMargin: 50 }],
  risk: { maxOrderRate: { count: 4, windowNs: 3 * 60_000_000_000 }, maxDailyLoss: 400, maxPositionPerSymbol: 500 },
};

/** Minute `i` of day `d` (tsOpen), as a bar index for helpers.bar. */
const at = (d: number, i: number): number => d * Number(DAY / MIN) + i;
const aaa = (i: number, o: number, c: number): Step => ({ bar: bar(i, o, Math.max(o, c) + 0.5, Math.min(o, c) - 0.5, c, 200, "AAA") });
const bbb = (i: number, o: number, c: number): Step => ({ bar: bar(i, o, Math.max(o, c) + 0.3, Math.min(o, c) - 0.3, c, 40, "BBB") });
const ts = (i: number): bigint => BigInt(i + 1) * MIN;
const req = (over: Partial<OrderRequest> & Pick<OrderRequest, "tsEvent">): OrderRequest => ({
  symbol: "AAA",
  side: "buy",
  orderType: "market",
  qty: 10,
  ...over,
});

/** Partial fills, limits, stops, a bracket, a DAY order across the day boundary, rate limits, the kill switch and a reset. */
const STEPS: Step[] = [
  aaa(at(0, 0), 100, 100),
  bbb(at(0, 0), 50, 50),
  { submit: req({ qty: 100, tsEvent: ts(at(0, 0)) }) }, // 50 per bar at 25 % of 200
  { submit: req({ side: "sell", orderType: "limit", limitPrice: 103, qty: 30, tif: "day", tsEvent: ts(at(0, 0)) }) },
  { submit: req({ orderType: "stop_limit", stopPrice: 104, limitPrice: 104.2, qty: 10, tsEvent: ts(at(0, 0)) }) },
  aaa(at(0, 1), 101, 102),
  { submit: req({ symbol: "BBB", orderType: "limit", limitPrice: 49.6, qty: 20, bracket: { stopLoss: 47, takeProfit: 52 }, tsEvent: ts(at(0, 1)) }) },
  { submit: req({ qty: 5, tsEvent: ts(at(0, 1)) }) }, // the rate limit (4 in 3 minutes) rejects it
  bbb(at(0, 1), 50, 49.4), // bracket entry fills 10 of 20 (25 % of 40), legs become active
  aaa(at(0, 2), 102.5, 103.5),
  { replace: "manual:AAA:60000000000:2", changes: { stopPrice: 104.5, limitPrice: 104.8 }, ts: ts(at(0, 2)) }, // triggered, not filled yet
  { cancel: "manual:AAA:60000000000:0", ts: ts(at(0, 2)) }, // already filled: nothing to cancel
  bbb(at(0, 2), 49.4, 49.5),
  { cancel: "manual:BBB:120000000000:3", ts: ts(at(0, 2)) }, // the partly filled bracket entry: its legs keep the filled 10
  aaa(at(0, 3), 104, 105),
  bbb(at(0, 3), 51, 52.5), // take profit
  { target: 200, symbol: "AAA", ts: ts(at(0, 3)) },
  aaa(at(0, 4), 105, 103),
  aaa(at(0, 5), 103, 101),
  aaa(at(0, 6), 100, 98), // the loss trips the kill switch: cancel all, flatten
  { submit: req({ tsEvent: ts(at(0, 6)) }) }, // rejected: kill switch
  aaa(at(0, 7), 98, 98.5),
  { reset: ts(at(0, 7)) },
  { submit: req({ side: "sell", orderType: "limit", limitPrice: 110, qty: 10, tif: "day", tsEvent: ts(at(0, 7)) }) },
  { submit: req({ symbol: "BBB", orderType: "stop", stopPrice: 53, qty: 3, tsEvent: ts(at(0, 7)) }) },
  bbb(at(0, 8), 52.5, 53.2),
  aaa(at(0, 8), 98.5, 99), // the DAY order's session starts here
  aaa(at(1, 0), 99, 100), // a new trading day: the DAY order expires
  bbb(at(1, 0), 53, 52),
  { target: -50, symbol: "AAA", ts: ts(at(1, 0)) },
  aaa(at(1, 1), 100, 99),
  aaa(at(1, 2), 99, 99.5),
  { target: 0, symbol: "AAA", ts: ts(at(1, 2)) },
  aaa(at(1, 3), 99.5, 99),
];

function apply(b: PaperBroker, s: Step): BrokerEvent[] | string {
  if ("bar" in s) return b.onBar(s.bar);
  if ("submit" in s) return b.submit(s.submit);
  if ("cancel" in s) return b.cancel(s.cancel, s.ts);
  if ("replace" in s) return b.replace(s.replace, s.changes, s.ts);
  if ("target" in s) return b.setTarget(s.symbol, s.target, s.ts);
  return b.reset(s.reset);
}

/** Plays the steps; with `cut`, the broker is saved before step `cut` and rebuilt from the saved (encoded) state. */
function play(steps: readonly Step[], cut = -1): { events: (BrokerEvent[] | string)[]; broker: PaperBroker; states: PaperBrokerState[] } {
  let broker = new PaperBroker(cfg);
  const events: (BrokerEvent[] | string)[] = [];
  const states: PaperBrokerState[] = [];
  steps.forEach((s, i) => {
    states.push(broker.toState());
    if (i === cut) broker = PaperBroker.fromState(cfg, cloneState(broker.toState()));
    events.push(apply(broker, s));
  });
  return { events, broker, states };
}

describe("PaperBroker.fromState(config, broker.toState())", () => {
  const whole = play(STEPS);
  const all = whole.events.flatMap((e) => (typeof e === "string" ? [] : e));

  it("the scenario reaches the states a checkpoint must carry", () => {
    const os = orders(all);
    expect(os.some((o) => o.status === "partially_filled")).toBe(true);
    expect(os.some((o) => o.status === "rejected" && /order rate limit/.test(o.reason ?? ""))).toBe(true);
    expect(os.some((o) => o.status === "expired")).toBe(true);
    expect(os.some((o) => o.bracketRole === "take_profit" && o.status === "filled")).toBe(true);
    expect(all.some((e) => e.type === "orderEvent" && e.event.kind === "kill_switch_tripped")).toBe(true);
    expect(fills(all).length).toBeGreaterThan(8);
    // Mid-position with working orders, a live bracket, the rate-limit window and the kill switch each at some cut.
    expect(whole.states.some((s) => s.engine.working.length > 2 && Object.values(s.portfolio.positions).some((p) => p.qty !== 0))).toBe(true);
    expect(whole.states.some((s) => Object.keys(s.engine.brackets).length > 0)).toBe(true);
    expect(whole.states.some((s) => s.engine.working.some((w) => w.triggered || w.session !== undefined))).toBe(true);
    expect(whole.states.some((s) => s.risk.recentOrders.length > 0)).toBe(true);
    expect(whole.states.some((s) => s.risk.killed !== undefined)).toBe(true);
  });

  it("continues exactly like the broker that never stopped, wherever it is cut", () => {
    for (let cut = 0; cut <= STEPS.length; cut++) {
      const resumed = play(STEPS, cut);
      expect(resumed.events, `cut before step ${cut}`).toEqual(whole.events);
      expect(resumed.broker.toState(), `cut before step ${cut}`).toEqual(whole.broker.toState());
      expect(resumed.broker.cash).toBe(whole.broker.cash);
      expect(resumed.broker.closedTrades).toEqual(whole.broker.closedTrades);
    }
  });

  it("is plain data the checkpoint codec takes, and a copy: later events do not change a saved state", () => {
    const b = new PaperBroker(cfg);
    for (const s of STEPS.slice(0, 9)) apply(b, s);
    const saved = b.toState();
    const text = encodeState(saved);
    for (const s of STEPS.slice(9)) apply(b, s);
    expect(encodeState(saved)).toBe(text);
    expect(() => encodeState(b)).toThrow(/PaperBroker instance/);
  });

  it("keeps the configuration out of the state: fromState takes it from the config", () => {
    const s = play(STEPS.slice(0, 6)).broker.toState();
    expect(Object.keys(s).sort()).toEqual(["engine", "orderSeq", "portfolio", "risk"]);
    expect(s.risk).not.toHaveProperty("limits");
    expect(s.portfolio).not.toHaveProperty("account");
    const renamed = PaperBroker.fromState({ ...cfg, account: "other" }, cloneState(s));
    expect(renamed.account).toBe("other");
  });
});

describe("RuleStrategy.fromState(rules, strategy.toState())", () => {
  const rules = {
    name: "x",
    direction: "long_short",
    enterLong: { crossAbove: ["fast", "slow"] },
    enterShort: { crossBelow: ["fast", "slow"] },
    sizing: { kind: "volatility_target", riskFraction: 0.01, volatility: "vol" },
  };
  const bars = Array.from({ length: 40 }, (_, i) => {
    const c = 100 + 8 * Math.sin(i / 3);
    return bar(i, c - 0.3, c + 1, c - 1, c, 1_000, i % 3 === 0 ? "BBB" : "AAA");
  });
  // `vol` is missing at first: a wanted side that cannot be sized is not taken (and not remembered).
  const rowOf = (i: number) => ({ fast: Math.sin(i / 3), slow: Math.sin((i - 2) / 3), ...(i > 4 ? { vol: 2 + (i % 4) } : {}) });

  function run(cut = -1): { events: BrokerEvent[]; strategy: RuleStrategy } {
    const broker = new PaperBroker({ startingCash: 100_000, policy: { name: "p" } });
    let strategy = new RuleStrategy(rules);
    const events: BrokerEvent[] = [];
    bars.forEach((b, i) => {
      if (i === cut) strategy = RuleStrategy.fromState(rules, cloneState(strategy.toState()));
      events.push(...broker.onBar(b), ...strategy.onBar(b, rowOf(i), broker));
    });
    return { events, strategy };
  }

  it("continues exactly like the strategy that never stopped, wherever it is cut", () => {
    const whole = run();
    expect(orders(whole.events).filter((o) => o.status === "accepted").length).toBeGreaterThan(4);
    const end = whole.strategy.toState();
    expect(Object.keys(end.sides).sort()).toEqual(["AAA", "BBB"]);
    for (let cut = 0; cut <= bars.length; cut++) {
      const resumed = run(cut);
      expect(resumed.events, `cut before bar ${cut}`).toEqual(whole.events);
      expect(resumed.strategy.toState()).toEqual(whole.strategy.toState());
    }
  });

  it("forgets nothing: a fresh strategy in place of the restored one trades differently at some cut", () => {
    const whole = run();
    const differs = bars.map((_, cut) => {
      const broker = new PaperBroker({ startingCash: 100_000, policy: { name: "p" } });
      let strategy = new RuleStrategy(rules);
      const events: BrokerEvent[] = [];
      bars.forEach((b, i) => {
        if (i === cut) strategy = new RuleStrategy(rules);
        events.push(...broker.onBar(b), ...strategy.onBar(b, rowOf(i), broker));
      });
      return (
        JSON.stringify(events, (_k, v) => (typeof v === "bigint" ? String(v) : v)) !==
        JSON.stringify(whole.events, (_k, v) => (typeof v === "bigint" ? String(v) : v))
      );
    });
    expect(differs.filter(Boolean).length).toBeGreaterThan(0);
  });
});
