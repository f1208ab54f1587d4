// Risk rules (each one alone), the kill switch, commissions, futures multiplier and margin, reversals.
import { describe, expect, it } from "vitest";
import { PaperBroker, type PaperBrokerConfig, type OrderRequest } from "../../trading/index.ts";
import { MIN, DAY, bar, fills, orders } from "./helpers.ts";

const cfg = (over: Partial<PaperBrokerConfig> = {}): PaperBrokerConfig => ({ startingCash: 100_000, policy: { name: "test" }, ...over });
const req = (over: Partial<OrderRequest>): OrderRequest => ({ symbol: "AAA", side: "buy", orderType: "market", qty: 10, tsEvent: MIN, ...over });
const reason = (ev: ReturnType<PaperBroker["submit"]>) => orders(ev)[0]!.reason;

describe("risk checks", () => {
  it("max position per symbol counts working orders; reducing orders always pass", () => {
    const b = new PaperBroker(cfg({ risk: { maxPositionPerSymbol: 100 } }));
    expect(orders(b.submit(req({ qty: 60, tsEvent: 0n })))[0]!.status).toBe("accepted");
    expect(reason(b.submit(req({ qty: 50, tsEvent: 0n })))).toBe("max position: AAA would reach 110 units (limit 100, now 0, working 60)");
    b.onBar(bar(0, 10, 10, 10, 10));
    expect(orders(b.submit(req({ side: "sell", qty: 60, tsEvent: MIN })))[0]!.status).toBe("accepted");
    // Reversing to -120 is not "reducing": it is checked.
    expect(reason(b.submit(req({ side: "sell", qty: 120, tsEvent: MIN })))).toBe("max position: AAA would reach -120 units (limit 100, now 60, working -60)");
  });

  it("max gross exposure values the order at the last price", () => {
    const b = new PaperBroker(cfg({ risk: { maxGrossExposure: 5_000 } }));
    expect(reason(b.submit(req({ tsEvent: 0n })))).toBe("max gross exposure: no price known yet for AAA to value the order");
    b.onBar(bar(0, 100, 100, 100, 100));
    expect(orders(b.submit(req({ qty: 50, tsEvent: MIN })))[0]!.status).toBe("accepted");
    b.onBar(bar(1, 100, 100, 100, 100));
    expect(reason(b.submit(req({ symbol: "BBB", qty: 1, limitPrice: 1, orderType: "limit", tsEvent: 2n * MIN })))).toBe(
      "max gross exposure: would reach 5001 (limit 5000)",
    );
  });

  it("max order rate counts accepted orders in an event-time window", () => {
    const b = new PaperBroker(cfg({ risk: { maxOrderRate: { count: 2, windowNs: 60_000_000_000 } } }));
    const status = [0n, 10n, 20n, MIN + 1n].map((t) => orders(b.submit(req({ tsEvent: t })))[0]!.status);
    expect(status).toEqual(["accepted", "accepted", "rejected", "accepted"]);
    expect(reason(b.submit(req({ tsEvent: MIN + 2n })))).toBe("order rate limit: 2 orders already in the last 60000000000 ns (max 2)");
  });

  it("daily loss kill switch: flattens, rejects new orders until reset(), then trades again", () => {
    const b = new PaperBroker(cfg({ startingCash: 10_000, risk: { maxDailyLoss: 500 } }));
    b.submit(req({ qty: 100, tsEvent: 0n }));
    b.submit(req({ orderType: "limit", limitPrice: 50, qty: 1, tsEvent: 0n }));
    b.onBar(bar(0, 100, 100, 99, 99)); // bought 100 @ 100, equity 9900
    const ev = b.onBar(bar(1, 99, 99, 94, 94.5)); // equity 9450: loss 550
    const kill = ev.find((e) => e.type === "orderEvent");
    expect(kill && kill.type === "orderEvent" && kill.event).toMatchObject({
      kind: "kill_switch_tripped",
      reason: "daily loss 550 reached the limit 500 (day start equity 10000, now 9450)",
    });
    expect(orders(ev).map((o) => [o.strategy, o.status, o.side, o.qty])).toEqual([
      ["manual", "cancelled", "buy", 1],
      ["risk", "accepted", "sell", 100],
    ]);
    expect(reason(b.submit(req({ tsEvent: 2n * MIN })))).toMatch(/^kill switch is on since 120000000000 \(daily loss 550/);
    expect(fills(b.onBar(bar(2, 95, 96, 94, 95)))[0]).toMatchObject({ side: "sell", qty: 100, price: 95 });
    expect(b.position("AAA")).toBe(0);
    expect(b.reset(3n * MIN)[0]).toMatchObject({ type: "orderEvent" });
    expect(orders(b.submit(req({ tsEvent: 3n * MIN })))[0]!.status).toBe("accepted");
    expect(b.killSwitch).toBeUndefined();
  });

  it("the daily loss is measured from the equity at the start of each trading day", () => {
    const b = new PaperBroker(cfg({ startingCash: 10_000, risk: { maxDailyLoss: 500 } }));
    b.submit(req({ qty: 100, tsEvent: 0n }));
    b.onBar(bar(0, 100, 100, 97, 97)); // -300 on day 0
    const day1 = Number(DAY / MIN);
    b.onBar(bar(day1, 97, 97, 94, 94)); // -300 on day 1 (-600 total): no trip
    expect(b.killSwitch).toBeUndefined();
  });
});

describe("costs and instruments", () => {
  it("commission: per unit, percent of notional, minimum once per order", () => {
    const b = new PaperBroker(cfg({ defaultCommission: { perUnit: 0.01, percent: 0.1, minimum: 2 }, policy: { name: "p", participation: 0.5 } }));
    b.submit(req({ qty: 100, tsEvent: 0n }));
    const c = [bar(0, 10, 10, 10, 10, 20), bar(1, 10, 10, 10, 10, 1000)].map((x) => fills(b.onBar(x)).map((f) => f.commission));
    // first fill 10 units: raw 0.1 + 0.1 = 0.2 -> minimum 2; second 90 units: 0.9 + 0.9 = 1.8 (minimum already met)
    expect(c[0]![0]).toBe(2);
    expect(c[1]![0]).toBeCloseTo(1.8, 12);
    expect(b.cash).toBeCloseTo(100_000 - 1000 - 3.8, 9);
  });

  it("futures: multiplier scales P&L, cash moves only by P&L and costs, margin is checked", () => {
    const es = { symbol: "ES", multiplier: 50, tickSize: 0.25, initialMargin: 12_000, commission: { perUnit: 2 } };
    const b = new PaperBroker(cfg({ startingCash: 30_000, instruments: [es] }));
    b.onBar(bar(0, 5000, 5000, 5000, 5000, 1000, "ES"));
    expect(reason(b.submit(req({ symbol: "ES", qty: 3, tsEvent: MIN })))).toBe("insufficient margin: 36000 needed, equity 30000");
    b.submit(req({ symbol: "ES", qty: 2, tsEvent: MIN }));
    const ev = b.onBar(bar(1, 5000, 5012, 4998, 5010, 1000, "ES"));
    expect(b.cash).toBe(30_000 - 4);
    const eq = ev.find((e) => e.type === "equity");
    expect(eq && eq.type === "equity" && eq.equity).toMatchObject({ equity: 30_000 - 4 + 10 * 50 * 2, marginUsed: 24_000, grossExposure: 2 * 5010 * 50 });
    b.submit(req({ symbol: "ES", side: "sell", qty: 2, tsEvent: 2n * MIN }));
    b.onBar(bar(2, 5020, 5020, 5020, 5020, 1000, "ES"));
    expect(b.cash).toBe(30_000 - 8 + 20 * 50 * 2);
    expect(b.closedTrades[0]).toMatchObject({ side: "long", qty: 2, grossPnl: 2000, commission: 8, pnl: 1992 });
  });

  it("reversing is one order and one fill, booked as a close and an open", () => {
    const b = new PaperBroker(cfg({ defaultCommission: { perUnit: 1 } }));
    b.setTarget("AAA", 10, 0n);
    b.onBar(bar(0, 100, 100, 100, 100));
    const sent = orders(b.setTarget("AAA", -10, MIN));
    expect(sent.map((o) => [o.side, o.qty])).toEqual([["sell", 20]]);
    b.onBar(bar(1, 110, 110, 110, 110));
    expect(b.position("AAA")).toBe(-10);
    expect(b.closedTrades).toEqual([
      expect.objectContaining({ side: "long", qty: 10, entryPrice: 100, exitPrice: 110, grossPnl: 100, commission: 20, pnl: 80 }),
    ]);
    b.setTarget("AAA", 0, 2n * MIN);
    b.onBar(bar(2, 105, 105, 105, 105));
    expect(b.closedTrades[1]).toMatchObject({ side: "short", entryPrice: 110, exitPrice: 105, grossPnl: 50, commission: 20, pnl: 30 });
    expect(b.equity()).toBe(100_000 + 80 + 30);
    expect(b.setTarget("AAA", 0, 3n * MIN)).toEqual([]);
  });
});
