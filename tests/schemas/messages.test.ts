import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  BarMessage,
  FeatureRowMessage,
  MessageValidationError,
  NewsMessage,
  SignalMessage,
  TradeMessage,
  nsToIso,
  parseTimeNs,
  timeframeNs,
} from "../../schemas/index.ts";

const trade = { v: 1, type: "trade", id: "t1", symbol: "AAPL", tsEvent: "1704205800123456789", price: 187.5, size: 100 };

describe("TradeMessage", () => {
  it("decodes the wire form and keeps nanosecond precision", () => {
    const t = TradeMessage.decode(trade, "md.trades.AAPL #1");
    expect(t.tsEvent).toBe(1704205800123456789n);
    expect(TradeMessage.encode(t)).toEqual(trade);
  });

  it("refuses event times beyond what int64 nanoseconds (TIMESTAMP_NS) can hold, instead of failing the recording", () => {
    // Nineteen digits pass the pattern; a run that accepted this would fail its commit on every restart.
    expect(() => TradeMessage.decode({ ...trade, tsEvent: "9999999999999999999" }, "md.trades.AAPL #7")).toThrow(
      /^trade message md\.trades\.AAPL #7: field "tsEvent" must be integer nanoseconds within the int64 range DuckDB can record \(1677-09-21 to 2262-04-11\), got "9999999999999999999"$/,
    );
    expect(() => TradeMessage.decode({ ...trade, tsEvent: "-9223372036854775808" }, "x")).toThrow(/field "tsEvent"/);
    expect(TradeMessage.decode({ ...trade, tsEvent: "9223372036854775806" }, "x").tsEvent).toBe(2n ** 63n - 2n);
    expect(TradeMessage.decode({ ...trade, tsEvent: "-788918400000000000" }, "x").tsEvent).toBe(-788918400000000000n); // 1945
  });

  it("names the message and field of a non-positive price", () => {
    const err = (() => {
      try {
        TradeMessage.decode({ ...trade, price: -3 }, "md.trades.AAPL #4412");
        return undefined;
      } catch (e) {
        return e;
      }
    })();
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
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e9, noNaN: true }),
        (ts, price, size) => {
          const t = TradeMessage.create({ id: "x", symbol: "MSFT", tsEvent: ts, price, size });
          expect(TradeMessage.decodeBytes(TradeMessage.encodeBytes(t), "rt")).toEqual(t);
          expect(TradeMessage.fromRow(TradeMessage.toRow(t))).toEqual(t);
        },
      ),
    );
  });
});

describe("BarMessage", () => {
  const bar = {
    v: 1,
    type: "bar",
    symbol: "AAPL",
    timeframe: "1m",
    tsOpen: "0",
    tsEvent: "60000000000",
    open: 10,
    high: 12,
    low: 9,
    close: 11,
    volume: 5,
    vwap: 10.5,
    trades: 3,
  };
  it("accepts a consistent bar and rejects high < low and unknown timeframes", () => {
    expect(BarMessage.decode(bar, "b").high).toBe(12);
    expect(() => BarMessage.decode({ ...bar, high: 8 }, "b")).toThrow(/field "high" must be >= low/);
    expect(() => BarMessage.decode({ ...bar, timeframe: "7x" }, "b")).toThrow(/field "timeframe" must be a timeframe/);
  });
});

describe("NewsMessage", () => {
  const news = { id: "n1", source: "reuters", tsEvent: 1704205800123456789n, headline: "Apple beats estimates", symbols: ["AAPL"] };
  it("keeps an absent body absent on the wire and in DuckDB (NULL), and a present one as is", () => {
    const n = NewsMessage.create(news);
    expect("body" in n).toBe(false);
    expect("body" in NewsMessage.encode(n)).toBe(false);
    const row = NewsMessage.toRow(n);
    expect(row[NewsMessage.columns.findIndex((c) => c.field === "body")]).toBeNull();
    expect(NewsMessage.fromRow(row)).toEqual(n);
    const withBody = NewsMessage.create({ ...news, body: "Long text." });
    expect(NewsMessage.decodeBytes(NewsMessage.encodeBytes(withBody), "rt")).toEqual(withBody);
    expect(NewsMessage.fromRow(NewsMessage.toRow(withBody))).toEqual(withBody);
  });
  it("rejects an upper-case source and a lower-case tagged symbol", () => {
    expect(() => NewsMessage.create({ ...news, source: "Reuters" })).toThrow(/field "source" must be a lower-case source name/);
    expect(() => NewsMessage.create({ ...news, symbols: ["aapl"] })).toThrow(/field "symbols\.0" must be an upper-case symbol/);
  });
});

describe("SignalMessage", () => {
  const signal = {
    id: "p:signals:AAPL:1",
    pipeline: "p",
    symbol: "AAPL",
    tsEvent: 1n,
    action: "buy" as const,
    strength: 0.8,
    reason: "emaFast > emaSlow",
    inputs: { rsi: 25.5, trend: "up", gated: false, sentiment: null },
  };
  it("round-trips the inputs record of scalars through bytes and a DuckDB row (JSON text)", () => {
    const s = SignalMessage.create(signal);
    expect(SignalMessage.decodeBytes(SignalMessage.encodeBytes(s), "rt")).toEqual(s);
    const row = SignalMessage.toRow(s);
    expect(row[SignalMessage.columns.findIndex((c) => c.field === "inputs")]).toBe('{"rsi":25.5,"trend":"up","gated":false,"sentiment":null}');
    expect(SignalMessage.fromRow(row)).toEqual(s);
  });
  it("rejects nested or non-finite inputs, an unknown action and a strength outside [0, 1]", () => {
    expect(() => SignalMessage.decode({ ...SignalMessage.encode(SignalMessage.create(signal)), inputs: { a: { b: 1 } } }, "x")).toThrow(/field "inputs\.a"/);
    expect(() => SignalMessage.create({ ...signal, inputs: { rsi: Number.NaN } })).toThrow(/field "inputs\.rsi"/);
    expect(() => SignalMessage.create({ ...signal, action: "hold" as "buy" })).toThrow(/field "action" .*"buy"\|"sell"\|"flat"/);
    expect(() => SignalMessage.create({ ...signal, strength: 1.5 })).toThrow(/field "strength"/);
  });
});

describe("FeatureRowMessage", () => {
  const row = { id: "AAPL:1m:60", symbol: "AAPL", tsEvent: 60n, timeframe: "1m", values: { close: 10, rsi: 55.5 } };
  it("requires every value to be a finite number", () => {
    expect(FeatureRowMessage.create(row).values).toEqual({ close: 10, rsi: 55.5 });
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => FeatureRowMessage.create({ ...row, values: { ...row.values, ema: bad } })).toThrow(/field "values\.ema"/);
    }
    // NaN becomes null in JSON: a subscriber must not read it back as a value.
    expect(() => FeatureRowMessage.decodeBytes('{"v":1,"type":"features","id":"a","symbol":"A","tsEvent":"1","values":{"x":null}}', "r")).toThrow(
      /field "values\.x"/,
    );
  });
  it("keeps values through a DuckDB row", () => {
    const f = FeatureRowMessage.create(row);
    expect(FeatureRowMessage.fromRow(FeatureRowMessage.toRow(f))).toEqual(f);
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
