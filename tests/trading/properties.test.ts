// Properties over random bars and random orders: the books balance after every event, fills stay inside the
// bar's range, and a broker restored from a checkpoint continues exactly like one that never stopped.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { PaperBroker, type BrokerEvent, type OrderRequest, type PaperBrokerConfig } from "../../trading/index.ts";
import { EquityMessage, PositionMessage } from "../../schemas/position.ts";
import { OrderMessage } from "../../schemas/order.ts";
import { FillMessage } from "../../schemas/fill.ts";
import { bar } from "./helpers.ts";
import { cloneState } from "../../core/stateCodec.ts";
import type { Bar } from "../../schemas/bar.ts";

const SYMBOLS = ["AAA", "BBB"] as const;

const barArb = (i: number) =>
  fc
    .record({
      o: fc.double({ min: 50, max: 150, noNaN: true }),
      a: fc.double({ min: 0, max: 5, noNaN: true }),
      b: fc.double({ min: 0, max: 5, noNaN: true }),
      c: fc.double({ min: 0, max: 1, noNaN: true }),
      vol: fc.integer({ min: 0, max: 500 }),
      s: fc.constantFrom(...SYMBOLS),
    })
    .map(({ o, a, b, c, vol, s }) => {
      const high = o + a;
      const low = Math.max(1, o - b);
      return bar(i, o, high, low, low + c * (high - low), vol, s);
    });

const orderArb = fc.record({
  symbol: fc.constantFrom(...SYMBOLS),
  side: fc.constantFrom("buy" as const, "sell" as const),
  type: fc.constantFrom("market" as const, "limit" as const, "stop" as const, "stop_limit" as const),
  qty: fc.integer({ min: 1, max: 300 }),
  px: fc.double({ min: 60, max: 140, noNaN: true }),
  off: fc.double({ min: -3, max: 3, noNaN: true }),
  tif: fc.constantFrom("day" as const, "gtc" as const, "ioc" as const),
  bracket: fc.boolean(),
});

const scenarioArb = fc
  .array(fc.tuple(fc.nat(), orderArb, fc.boolean()), { minLength: 5, maxLength: 60 })
  .chain((steps) => fc.tuple(fc.constant(steps), fc.tuple(...steps.map((_, i) => barArb(i)))));

type GenOrder = typeof orderArb extends fc.Arbitrary<infer T> ? T : never;

function toRequest(o: GenOrder, ts: bigint): OrderRequest {
  const limitPrice = o.type === "limit" || o.type === "stop_limit" ? o.px + o.off : undefined;
  const stopPrice = o.type === "stop" || o.type === "stop_limit" ? o.px : undefined;
  const bracket =
    o.bracket && o.tif !== "ioc" ? (o.side === "buy" ? { stopLoss: o.px - 5, takeProfit: o.px + 5 } : { stopLoss: o.px + 5, takeProfit: o.px - 5 }) : undefined;
  return {
    symbol: o.symbol,
    side: o.side,
    orderType: o.type,
    qty: o.qty,
    tif: o.tif,
    tsEvent: ts,
    ...(limitPrice ? { limitPrice } : {}),
    ...(stopPrice ? { stopPrice } : {}),
    ...(bracket ? { bracket } : {}),
  };
}

const config = (participation: boolean, close: boolean): PaperBrokerConfig => ({
  startingCash: 1_000_000,
  policy: { name: "prop", onBars: close ? "signal_close" : "next_open", slippage: { bps: 3 }, ...(participation ? { participation: 0.2 } : {}) },
  defaultCommission: { perUnit: 0.01, minimum: 1 },
  instruments: [{ symbol: "BBB", multiplier: 10, initialMargin: 1 }],
});

function run(cfg: PaperBrokerConfig, steps: [number, GenOrder, boolean][], bars: Bar[], checkpointAt = -1) {
  let broker = new PaperBroker(cfg);
  const events: BrokerEvent[] = [];
  bars.forEach((b, i) => {
    if (i === checkpointAt) broker = PaperBroker.fromState(cfg, cloneState(broker.toState())); // through the checkpoint codec
    events.push(...broker.onBar(b));
    const [, o, send] = steps[i]!;
    if (send) events.push(...broker.submit(toRequest(o, b.tsEvent)));
  });
  return { events, broker };
}

describe("PaperBroker properties", () => {
  it("equity == cash + position values == start + realized + unrealized - commissions, after every event; fills inside [low, high]", () => {
    fc.assert(
      fc.property(scenarioArb, fc.boolean(), fc.boolean(), ([steps, bars], participation, close) => {
        const { events } = run(config(participation, close), steps, bars);
        const values = new Map<string, number>();
        const byEnd = new Map<string, Bar>(bars.map((b) => [`${b.symbol}@${b.tsEvent}`, b]));
        for (const e of events) {
          if (e.type === "position") {
            const mult = e.position.symbol === "BBB" ? 10 : 1;
            // BBB is margined: it adds its unrealized P&L; AAA adds its market value.
            values.set(e.position.symbol, e.position.symbol === "BBB" ? e.position.unrealizedPnl : e.position.qty * e.position.markPrice * mult);
            expect(() => PositionMessage.create(e.position)).not.toThrow();
          } else if (e.type === "equity") {
            const q = e.equity;
            const sum = [...values.values()].reduce((a, b) => a + b, 0);
            expect(q.equity).toBeCloseTo(q.cash + sum, 6);
            expect(q.equity).toBeCloseTo(1_000_000 + q.realizedPnl + q.unrealizedPnl - q.commission, 6);
            expect(() => EquityMessage.create(q)).not.toThrow();
          } else if (e.type === "fill") {
            const f = e.fill;
            // A bar fill has the bar's end as tsEvent; a signal_close fill at submission used the symbol's last bar (tsPrice = its end).
            const b = byEnd.get(`${f.symbol}@${f.tsEvent}`) ?? byEnd.get(`${f.symbol}@${f.tsPrice}`)!;
            expect(f.price).toBeGreaterThanOrEqual(b.low - 1e-9);
            expect(f.price).toBeLessThanOrEqual(b.high + 1e-9);
            expect(f.tsEvent).toBeGreaterThanOrEqual(f.tsPrice);
            expect(() => FillMessage.create(f)).not.toThrow();
          } else if (e.type === "order") {
            expect(() => OrderMessage.create(e.order)).not.toThrow();
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it("is deterministic, and a broker restored from toState() mid-run produces the same events", () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), ([steps, bars], cut) => {
        const cfg = config(true, false);
        const a = run(cfg, steps, bars);
        const b = run(cfg, steps, bars);
        const c = run(cfg, steps, bars, cut % bars.length);
        expect(b.events).toEqual(a.events);
        expect(c.events).toEqual(a.events);
        expect(c.broker.toState()).toEqual(a.broker.toState());
      }),
      { numRuns: 60 },
    );
  });

  it("no order fills on a bar that started before it was sent (next_open)", () => {
    fc.assert(
      fc.property(scenarioArb, ([steps, bars]) => {
        const { events } = run(config(false, false), steps, bars);
        const sentAt = new Map<string, bigint>();
        const barOf = new Map<bigint, Bar>(bars.map((b) => [b.tsEvent, b]));
        for (const e of events) {
          if (e.type === "order") sentAt.set(e.order.id, e.order.tsSubmitted);
          if (e.type === "fill") expect(barOf.get(e.fill.tsEvent)!.tsOpen).toBeGreaterThanOrEqual(sentAt.get(e.fill.orderId)!);
        }
      }),
      { numRuns: 100 },
    );
  });
});
