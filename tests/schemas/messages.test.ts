import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BarMessage, MessageValidationError, NewsMessage, SignalMessage, TradeMessage, nsToIso, parseTimeNs, timeframeNs } from "../../schemas/index.ts";

const trade = { v: 1, type: "trade", id: "t1", symbol: "AAPL", tsEvent: "1704205800123456789", price: 187.5, size: 100 };

describe("TradeMessage", () => {
  it("decodes the wire form and keeps nanosecond precision", () => {
    const t = TradeMessage.decode(trade, "md.trades.AAPL #1");
    expect(t.tsEvent).toBe(1704205800123456789n);
    expect(TradeMessage.encode(t)).toEqual(trade);
  });

  it("names the message and field of a non-positive price", () => {
    const err = (() => { try { TradeMessage.decode({ ...trade, price: -3 }, "md.trades.AAPL #4412"); return undefined; } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(MessageValidationError);
    expect((err as MessageValidationError).field).toBe("price");
    expect((err as Error).message).toBe('trade message md.trades.AAPL #4412: field "price" must be a positive finite number, got -3');
  });

  it("rejects invalid JSON, a missing field, a wrong version and a lower-case symbol", () => {
    expect(() => TradeMessage.decodeBytes("{not json", "x")).toThrow(/trade message x: is not valid JSON/);
    expect(() => TradeMessage.decode({ ...trade, size: undefined }, "x")).toThrow(/field "size".*got nothing \(field missing\)/);
    expect(() => TradeMessage.decode({ ...trade, v: 2 }, "x")).toThrow(/field "v"/);
    expect(() => TradeMessage.decode({ ...trade, symbol: "aapl" }, "x")).toThrow(/field "symbol" must be an upper-case symbol/);
  });

  it("round-trips any valid trade through bytes and DuckDB rows", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 62n }), fc.double({ min: 1e-6, max: 1e6, noNaN: true }), fc.double({ min: 1e-3, max: 1e9, noNaN: true }), (ts, price, size) => {
        const t = TradeMessage.create({ id: "x", symbol: "MSFT", tsEvent: ts, price, size });
        expect(TradeMessage.decodeBytes(TradeMessage.encodeBytes(t), "rt")).toEqual(t);
        expect(TradeMessage.fromRow(TradeMessage.toRow(t))).toEqual(t);
      }),
    );
  });
});

describe("BarMessage", () => {
  const bar = { v: 1, type: "bar", symbol: "AAPL", timeframe: "1m", tsOpen: "0", tsEvent: "60000000000", open: 10, high: 12, low: 9, close: 11, volume: 5, vwap: 10.5, trades: 3 };
  it("accepts a consistent bar and rejects high < low and unknown timeframes", () => {
    expect(BarMessage.decode(bar, "b").high).toBe(12);
    expect(() => BarMessage.decode({ ...bar, high: 8 }, "b")).toThrow(/field "high" must be >= low/);
    expect(() => BarMessage.decode({ ...bar, timeframe: "7x" }, "b")).toThrow(/field "timeframe" must be a timeframe/);
  });
});

describe("JSON Schema export", () => {
  it("describes the wire form, including the nanosecond string timestamp", () => {
    const s = TradeMessage.jsonSchema() as { properties: Record<string, { type: string; pattern?: string }>; required: string[] };
    expect(s.properties.tsEvent!.type).toBe("string");
    expect(s.required).toEqual(expect.arrayContaining(["v", "type", "id", "symbol", "tsEvent", "price", "size"]));
    expect(s.required).not.toContain("side");
    expect(Object.keys((SignalMessage.jsonSchema() as { properties: object }).properties)).toContain("inputs");
    expect(Object.keys((NewsMessage.jsonSchema() as { properties: object }).properties)).toContain("symbols");
  });
});

describe("time helpers", () => {
  it("parses ISO times with nanoseconds and timeframes", () => {
    expect(parseTimeNs("2024-01-02T14:30:00.123456789Z")).toBe(1704205800123456789n);
    expect(nsToIso(1704205800123456789n)).toBe("2024-01-02T14:30:00.123456789Z");
    expect(parseTimeNs("2006-01-02")).toBe(1136160000000000000n);
    expect(timeframeNs("5m")).toBe(300_000_000_000n);
    expect(() => timeframeNs("7x")).toThrow(/unknown timeframe "7x"/);
  });
});
