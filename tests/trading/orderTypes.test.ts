// Hand-made scenarios for each order type, time in force, brackets, cancel/replace, the gap rule and partial fills.
import { describe, expect, it } from "vitest";
import { PaperBroker, type PaperBrokerConfig } from "../../trading/index.ts";
import type { OrderRequest } from "../../trading/index.ts";
import { OrderMessage } from "../../schemas/order.ts";
import { FillMessage } from "../../schemas/fill.ts";
import { MIN, bar, fills, lastOrder, orders } from "./helpers.ts";

const cfg = (over: Partial<PaperBrokerConfig> = {}): PaperBrokerConfig => ({ startingCash: 100_000, policy: { name: "test" }, ...over });
const req = (over: Partial<OrderRequest>): OrderRequest => ({ symbol: "AAA", side: "buy", orderType: "market", qty: 10, tsEvent: MIN, ...over });

describe("market orders", () => {
  it("next_open: an order sent at the end of bar 0 fills at bar 1's open, never on bar 0", () => {
    const b = new PaperBroker(cfg());
    expect(fills(b.onBar(bar(0, 100, 101, 99, 100.5)))).toEqual([]);
    const sent = b.submit(req({ tsEvent: MIN }));
    expect(orders(sent)[0]!.status).toBe("accepted");
    expect(fills(sent)).toEqual([]);
    const f = fills(b.onBar(bar(1, 102, 103, 101, 102.5)));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ price: 102, qty: 10, tsEvent: 2n * MIN, tsPrice: MIN, liquidity: "taker", policy: "test" });
    expect(b.position("AAA")).toBe(10);
    expect(b.cash).toBe(100_000 - 1020);
    expect(() => FillMessage.create(f[0]!)).not.toThrow();
  });

  it("signal_close: fills immediately at the close of the bar that produced the signal", () => {
    const b = new PaperBroker(cfg({ policy: { name: "close", onBars: "signal_close" } }));
    b.onBar(bar(0, 100, 101, 99, 100.5));
    const f = fills(b.submit(req({ tsEvent: MIN })));
    expect(f[0]).toMatchObject({ price: 100.5, tsEvent: MIN, tsPrice: MIN });
  });

  it("slippage in bps and ticks moves the price against the order, clamped to the bar's range", () => {
    const bps = new PaperBroker(cfg({ policy: { name: "bps", slippage: { bps: 10 } } }));
    bps.submit(req({ side: "sell", tsEvent: 0n }));
    expect(fills(bps.onBar(bar(0, 100, 101, 99, 100)))[0]!.price).toBeCloseTo(99.9, 10);
    const ticks = new PaperBroker(cfg({ policy: { name: "ticks", slippage: { ticks: 2, tickSize: 0.25 } } }));
    ticks.submit(req({ tsEvent: 0n }));
    expect(fills(ticks.onBar(bar(0, 100, 101, 99, 100)))[0]!.price).toBe(100.5);
    const clamp = new PaperBroker(cfg({ policy: { name: "big", slippage: { bps: 500 } } }));
    clamp.submit(req({ tsEvent: 0n }));
    expect(fills(clamp.onBar(bar(0, 100, 101, 99, 100)))[0]!.price).toBe(101);
  });
});

describe("limit and stop orders with the gap rule", () => {
  const run = (r: Partial<OrderRequest>, ...bars: ReturnType<typeof bar>[]) => {
    const b = new PaperBroker(cfg({ policy: { name: "gap", slippage: { bps: 0 } } }));
    b.submit(req({ tsEvent: 0n, ...r }));
    return bars.flatMap((x) => fills(b.onBar(x)));
  };

  it("a buy limit at 100 fills at 98 when the bar opens at 98", () => {
    expect(run({ orderType: "limit", limitPrice: 100 }, bar(0, 98, 99, 97, 98.5))[0]).toMatchObject({ price: 98, liquidity: "taker" });
  });
  it("a buy limit fills at its price when the range reaches it, and not at all when it does not", () => {
    expect(run({ orderType: "limit", limitPrice: 100 }, bar(0, 101, 102, 99.5, 101))[0]).toMatchObject({ price: 100, liquidity: "maker" });
    expect(run({ orderType: "limit", limitPrice: 100 }, bar(0, 101, 102, 100.01, 101))).toEqual([]);
  });
  it("a sell limit gaps up to the open or fills at its price", () => {
    expect(run({ side: "sell", orderType: "limit", limitPrice: 100 }, bar(0, 103, 104, 102, 103))[0]!.price).toBe(103);
    expect(run({ side: "sell", orderType: "limit", limitPrice: 100 }, bar(0, 98, 100.5, 97, 99))[0]!.price).toBe(100);
  });
  it("a sell stop at 95 fills at 93 when the bar opens at 93, at 95 when the bar trades through it", () => {
    expect(run({ side: "sell", orderType: "stop", stopPrice: 95 }, bar(0, 93, 94, 92, 93))[0]!.price).toBe(93);
    expect(run({ side: "sell", orderType: "stop", stopPrice: 95 }, bar(0, 97, 97, 94, 96))[0]!.price).toBe(95);
    expect(run({ side: "sell", orderType: "stop", stopPrice: 95 }, bar(0, 97, 98, 95.5, 96))).toEqual([]);
  });
  it("a buy stop gaps up to the open or fills at the stop", () => {
    expect(run({ orderType: "stop", stopPrice: 105 }, bar(0, 107, 108, 106, 107))[0]!.price).toBe(107);
    expect(run({ orderType: "stop", stopPrice: 105 }, bar(0, 103, 106, 102, 104))[0]!.price).toBe(105);
  });
  it("stop-limit: fills at the stop when the stop satisfies the limit; otherwise works as a limit from the next bar", () => {
    expect(run({ orderType: "stop_limit", stopPrice: 105, limitPrice: 106 }, bar(0, 103, 107, 102, 106))[0]!.price).toBe(105);
    // Limit 104 below the stop 105: triggered on bar 0, no fill; bar 1 trades down to 104 -> fills at 104.
    const f = run({ orderType: "stop_limit", stopPrice: 105, limitPrice: 104 }, bar(0, 103, 107, 102, 106), bar(1, 106, 106.5, 103.5, 104));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ price: 104, tsEvent: 2n * MIN });
    // Gap through the stop and the limit: triggered at the open, not fillable at the open, fills when it comes back.
    expect(run({ orderType: "stop_limit", stopPrice: 105, limitPrice: 106 }, bar(0, 108, 109, 105.5, 107))[0]!.price).toBe(106);
    expect(run({ orderType: "stop_limit", stopPrice: 105, limitPrice: 106 }, bar(0, 108, 109, 106.5, 107))).toEqual([]);
  });
});

describe("time in force", () => {
  it("DAY expires when data from the next trading day arrives; GTC keeps working", () => {
    const b = new PaperBroker(cfg());
    const day = 1440; // minutes
    b.submit(req({ orderType: "limit", limitPrice: 90, tif: "day", tsEvent: 0n }));
    b.submit(req({ orderType: "limit", limitPrice: 90, tif: "gtc", tsEvent: 0n }));
    b.onBar(bar(0, 100, 101, 99, 100));
    b.onBar(bar(10, 100, 101, 99, 100));
    expect(b.openOrders()).toHaveLength(2);
    const ev = b.onBar(bar(day + 1, 100, 101, 99, 100));
    const expired = orders(ev).filter((o) => o.status === "expired");
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ tif: "day", reason: "DAY order expired at the end of trading day 0" });
    expect(b.openOrders().map((o) => o.tif)).toEqual(["gtc"]);
  });

  it("IOC fills what it can on the first eligible bar and cancels the rest", () => {
    const b = new PaperBroker(cfg({ policy: { name: "p", participation: 0.1 } }));
    b.submit(req({ qty: 100, tif: "ioc", tsEvent: 0n }));
    const ev = b.onBar(bar(0, 100, 101, 99, 100, 500));
    expect(fills(ev).map((f) => f.qty)).toEqual([50]);
    expect(orders(ev).at(-1)).toMatchObject({ status: "cancelled", filledQty: 50, reason: "IOC: unfilled 50 cancelled" });
    expect(b.openOrders()).toEqual([]);
  });
});

describe("partial fills from volume participation", () => {
  it("takes at most participation * bar volume per bar, shared by the orders of that bar", () => {
    const b = new PaperBroker(cfg({ policy: { name: "p", participation: 0.1 } }));
    b.submit(req({ qty: 120, tsEvent: 0n }));
    b.submit(req({ qty: 10, tsEvent: 0n }));
    const q = [bar(0, 100, 101, 99, 100, 500), bar(1, 100, 101, 99, 100, 500), bar(2, 100, 101, 99, 100, 1000)].map((x) => fills(b.onBar(x)).map((f) => f.qty));
    expect(q).toEqual([[50], [50], [20, 10]]);
    const ev = orders(b.onBar(bar(3, 100, 101, 99, 100)));
    expect(ev).toEqual([]);
    expect(b.position("AAA")).toBe(130);
  });
});

describe("bracket orders", () => {
  const bracket = (tsEvent = 0n) => req({ qty: 10, tsEvent, bracket: { stopLoss: 95, takeProfit: 110 } });

  it("legs wait for the entry, then activate with the filled quantity", () => {
    const b = new PaperBroker(cfg());
    const sent = orders(b.submit(bracket()));
    expect(sent.map((o) => [o.id, o.status, o.bracketRole])).toEqual([
      ["manual:AAA:0:0", "accepted", "entry"],
      ["manual:AAA:0:0:sl", "pending_parent", "stop_loss"],
      ["manual:AAA:0:0:tp", "pending_parent", "take_profit"],
    ]);
    for (const o of sent) expect(() => OrderMessage.create(o)).not.toThrow();
    const ev = b.onBar(bar(0, 100, 102, 98, 101));
    expect(fills(ev).map((f) => f.orderId)).toEqual(["manual:AAA:0:0"]);
    expect(lastOrder(ev, "manual:AAA:0:0:sl")).toMatchObject({ status: "accepted", qty: 10, orderType: "stop", side: "sell", stopPrice: 95 });
  });

  it("when stop-loss and take-profit are both inside one bar, the stop-loss fills and the take-profit is cancelled", () => {
    const b = new PaperBroker(cfg());
    b.submit(bracket());
    b.onBar(bar(0, 100, 102, 98, 101));
    const ev = b.onBar(bar(1, 101, 111, 94, 100));
    expect(fills(ev).map((f) => [f.orderId, f.price])).toEqual([["manual:AAA:0:0:sl", 95]]);
    expect(lastOrder(ev, "manual:AAA:0:0:tp")).toMatchObject({ status: "cancelled", reason: "OCO: the other bracket leg filled" });
    expect(b.position("AAA")).toBe(0);
    expect(b.openOrders()).toEqual([]);
  });

  it("a take-profit crossed at the open fills first (at the open), even if the bar later reaches the stop", () => {
    const b = new PaperBroker(cfg());
    b.submit(bracket());
    b.onBar(bar(0, 100, 102, 98, 101));
    const ev = b.onBar(bar(1, 112, 113, 90, 95));
    expect(fills(ev).map((f) => [f.orderId, f.price])).toEqual([["manual:AAA:0:0:tp", 112]]);
    expect(lastOrder(ev, "manual:AAA:0:0:sl")!.status).toBe("cancelled");
  });

  it("legs of an entry filled at the open can fill later in the same bar; legs of an intrabar fill wait for the next bar", () => {
    const atOpen = new PaperBroker(cfg());
    atOpen.submit(bracket());
    expect(fills(atOpen.onBar(bar(0, 100, 101, 94, 96))).map((f) => [f.orderId, f.price])).toEqual([
      ["manual:AAA:0:0", 100],
      ["manual:AAA:0:0:sl", 95],
    ]);
    const intrabar = new PaperBroker(cfg());
    intrabar.submit({ ...bracket(), orderType: "limit", limitPrice: 99 });
    expect(fills(intrabar.onBar(bar(0, 100, 101, 94, 96))).map((f) => f.orderId)).toEqual(["manual:AAA:0:0"]);
    expect(fills(intrabar.onBar(bar(1, 96, 97, 94.5, 95))).map((f) => [f.orderId, f.price])).toEqual([["manual:AAA:0:0:sl", 95]]);
  });

  it("cancelling an unfilled entry cancels its legs; a bad bracket is rejected with the reason", () => {
    const b = new PaperBroker(cfg());
    b.submit(bracket(5n));
    const ev = b.cancel("manual:AAA:5:0", 6n);
    expect(Array.isArray(ev) && orders(ev).map((o) => [o.id, o.status])).toEqual([
      ["manual:AAA:5:0", "cancelled"],
      ["manual:AAA:5:0:sl", "cancelled"],
      ["manual:AAA:5:0:tp", "cancelled"],
    ]);
    const bad = orders(b.submit(req({ bracket: { stopLoss: 110, takeProfit: 95 } })))[0]!;
    expect(bad).toMatchObject({ status: "rejected", reason: "bracket on a buy entry needs stopLoss below takeProfit, got stopLoss 110 and takeProfit 95" });
  });
});

describe("cancel and replace", () => {
  it("replace moves the price and the order only fills on data after the replace", () => {
    const b = new PaperBroker(cfg());
    b.submit(req({ orderType: "limit", limitPrice: 90, tsEvent: 0n }));
    b.onBar(bar(0, 100, 101, 99, 100));
    const r = b.replace("manual:AAA:0:0", { limitPrice: 99.5, qty: 20 }, MIN);
    expect(Array.isArray(r) && orders(r)[0]).toMatchObject({
      revision: 1,
      limitPrice: 99.5,
      qty: 20,
      tsSubmitted: MIN,
      reason: "replaced: qty 10 -> 20, limitPrice 90 -> 99.5",
    });
    expect(fills(b.onBar(bar(1, 100, 101, 99, 100)))[0]).toMatchObject({ price: 99.5, qty: 20 });
  });

  it("cancel and replace of an unknown or finished order say why", () => {
    const b = new PaperBroker(cfg());
    expect(b.cancel("nope", 0n)).toBe("order nope is not working (unknown, or already filled, cancelled or expired)");
    b.submit(req({ orderType: "limit", limitPrice: 90, tsEvent: 0n }));
    expect(b.replace("manual:AAA:0:0", { limitPrice: -1 }, 1n)).toBe("limit order needs a positive limitPrice, got -1");
    expect(b.cancel("manual:AAA:0:0", 1n)).not.toBeTypeOf("string");
    expect(b.openOrders()).toEqual([]);
  });

  it("rejects malformed requests with the reason", () => {
    const b = new PaperBroker(cfg());
    const reasons = [
      req({ qty: 0 }),
      req({ qty: 1.5 }),
      req({ orderType: "limit" }),
      req({ orderType: "stop_limit", stopPrice: 1 }),
      req({ limitPrice: 5 }),
    ].map((r) => orders(b.submit(r))[0]!.reason);
    expect(reasons).toEqual([
      "qty must be a positive number, got 0",
      "qty 1.5 is not a whole number of lots (lotSize 1)",
      "limit order needs a positive limitPrice, got undefined",
      "stop_limit order needs a positive limitPrice, got undefined",
      "market order must not have a limitPrice",
    ]);
  });
});

describe("on trades", () => {
  const trade = (ms: number, price: number, size = 100) => ({ id: `t${ms}`, symbol: "AAA", tsEvent: BigInt(ms) * 1_000_000n, price, size });

  it("fills at the first trade at or after order time + latency", () => {
    const b = new PaperBroker(cfg({ policy: { name: "lat", latencyNs: 5_000_000 } }));
    b.submit(req({ tsEvent: 10_000_000n }));
    expect(fills(b.onTrade(trade(12, 100)))).toEqual([]);
    expect(fills(b.onTrade(trade(15, 101)))[0]).toMatchObject({ price: 101, tsEvent: 15_000_000n, tsPrice: 15_000_000n });
  });

  it("a limit crossed on its first print fills at the print, later at its own price", () => {
    const b = new PaperBroker(cfg());
    b.submit(req({ orderType: "limit", limitPrice: 100, tsEvent: 0n }));
    expect(fills(b.onTrade(trade(1, 99)))[0]!.price).toBe(99);
    b.submit(req({ orderType: "limit", limitPrice: 100, tsEvent: 2_000_000n }));
    expect(fills(b.onTrade(trade(3, 100.5)))).toEqual([]);
    expect(fills(b.onTrade(trade(4, 99.5)))[0]!.price).toBe(100);
  });

  it("participation limits a fill to a fraction of the print", () => {
    const b = new PaperBroker(cfg({ policy: { name: "p", participation: 0.5 } }));
    b.submit(req({ qty: 80, tsEvent: 0n }));
    expect([trade(1, 100, 100), trade(2, 100, 100)].map((t) => fills(b.onTrade(t)).map((f) => f.qty))).toEqual([[50], [30]]);
  });
});
