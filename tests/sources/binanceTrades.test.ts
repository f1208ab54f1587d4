// parseBinanceFrame on every frame of tests/fixtures/exchange/binance-trades.jsonl (Binance's documented format,
// written for the test), plus the raw single-stream form, the side mapping and the error messages.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type BinanceFrameError, parseBinanceFrame, subscribeMessage, tradeStreamName, type BinanceFrame } from "../../sources/exchange/binanceTrades.ts";
import { MessageValidationError } from "../../schemas/message.ts";
import type { Trade } from "../../schemas/trade.ts";

const lines = readFileSync(new URL("../fixtures/exchange/binance-trades.jsonl", import.meta.url), "utf8")
  .trimEnd()
  .split("\n");
/** Frame numbers are 1-based, as on a connection: line n of the fixture is frame #n. */
const parsed = lines.map((l, i) => parseBinanceFrame(l, i + 1));
const trades = parsed.flatMap((r) => (r.kind === "trade" ? [r.trade] : []));
const errorOf = (r: BinanceFrame | undefined): BinanceFrameError => {
  if (r?.kind !== "error") throw new Error(`expected an error, got ${JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
  return r.error;
};
const frame = (data: Record<string, unknown>): string =>
  JSON.stringify({
    stream: "btcusdt@trade",
    data: { e: "trade", E: 1704205800109, s: "BTCUSDT", t: 1, p: "43000.12000000", q: "0.00123000", T: 1704205800108, m: false, M: true, ...data },
  });

describe("parseBinanceFrame on the fixture", () => {
  it("reads 196 trades, ignores the subscription ack and the aggTrade event, rejects the 3 malformed frames", () => {
    expect(lines).toHaveLength(201);
    expect(parsed.filter((r) => r.kind === "trade")).toHaveLength(196);
    expect(parsed.flatMap((r, i) => (r.kind === "ignored" ? [[i + 1, r.reason]] : []))).toEqual([
      [1, "response to request 1"],
      [80, 'event type "aggTrade" on btcusdt@aggTrade (only trade events are read)'],
    ]);
    expect(parsed.flatMap((r, i) => (r.kind === "error" ? [i + 1] : []))).toEqual([17, 101, 150]);
    expect(trades.filter((t) => t.symbol === "BTCUSDT")).toHaveLength(112);
    expect(trades.filter((t) => t.symbol === "ETHUSDT")).toHaveLength(84);
  });

  it("gives the exact values of a frame: id, ns event time, numeric price and size, aggressor side", () => {
    // Line 2: {"stream":"btcusdt@trade","data":{"e":"trade","E":1704205800109,"s":"BTCUSDT","t":3345678902,"p":"43000.02000000","q":"0.00077000","T":1704205800108,"m":false,"M":true}}
    const r = parsed[1]!;
    expect(r.kind).toBe("trade");
    expect(r.kind === "trade" && r.tradeId).toBe(3345678902n);
    expect(trades[0]).toEqual({
      id: "binance:BTCUSDT:3345678902",
      symbol: "BTCUSDT",
      tsEvent: 1704205800108_000_000n,
      price: 43000.02,
      size: 0.00077,
      side: "buy",
    } satisfies Trade);
    const eth = trades.find((t) => t.symbol === "ETHUSDT")!;
    expect(eth).toEqual({ id: "binance:ETHUSDT:1298765433", symbol: "ETHUSDT", tsEvent: 1704205800188_000_000n, price: 2300.56, size: 1.2199, side: "sell" });
  });

  it("ids increase per symbol and trade times never go back (the fixture is a plausible stream)", () => {
    for (const sym of ["BTCUSDT", "ETHUSDT"]) {
      const ids = trades.filter((t) => t.symbol === sym).map((t) => BigInt(t.id.split(":")[2]!));
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    }
    expect(trades.every((t, i) => i === 0 || t.tsEvent >= trades[i - 1]!.tsEvent)).toBe(true);
    expect(new Set(trades.map((t) => t.id)).size).toBe(trades.length);
  });

  it("names the frame and the field of each malformed frame", () => {
    const [p, json, q] = [17, 101, 150].map((n) => errorOf(parsed[n - 1]));
    expect(p!.message).toBe('binance frame #17: field "p" must be a positive number, got "abc"');
    expect([p!.field, p!.frame, p!.ref]).toEqual(["p", 17, "frame #17"]);
    expect(p).toBeInstanceOf(MessageValidationError);
    expect(json!.message).toMatch(/^binance frame #101: is not valid JSON \(/);
    expect(json!.field).toBe("");
    expect(q!.message).toBe('binance frame #150: field "q" must be a positive number, got "0.00000000"');
    expect(parsed[149]!.kind === "error" && parsed[149]!.symbol).toBe("BTCUSDT");
  });
});

describe("parseBinanceFrame forms and fields", () => {
  it("reads the raw single-stream form (the data object alone) the same way", () => {
    const combined = JSON.parse(lines[1]!) as { data: unknown };
    const raw = parseBinanceFrame(JSON.stringify(combined.data), 2);
    expect(raw).toEqual(parsed[1]);
  });

  it("side: m = true (the buyer was the maker) means the aggressor sold", () => {
    const side = (m: boolean): string | undefined => {
      const r = parseBinanceFrame(frame({ m }), 1);
      return r.kind === "trade" ? r.trade.side : `not a trade: ${r.kind}`;
    };
    expect(side(true)).toBe("sell");
    expect(side(false)).toBe("buy");
  });

  it.each([
    [{ p: 43000.12 }, 'field "p" must be a positive number, got 43000.12'],
    [{ p: "-1" }, 'field "p" must be a positive number, got "-1"'],
    [{ q: "1e-3" }, 'field "q" must be a positive number, got "1e-3"'],
    [{ t: "12" }, 'field "t" must be a non-negative integer trade id, got "12"'],
    [{ T: 1.5 }, 'field "T" must be a trade time in integer milliseconds since the epoch, got 1.5'],
    [{ m: "true" }, 'field "m" must be true or false (is the buyer the maker), got "true"'],
    [{ s: "btcusdt" }, 'field "s" must be an upper-case Binance symbol like BTCUSDT, got "btcusdt"'],
    [{ s: "ETHUSDT" }, 'field "stream" is "btcusdt@trade", but the trade is for ETHUSDT (expected "ethusdt@trade")'],
  ])("rejects %j: %s", (data, reason) => {
    expect(errorOf(parseBinanceFrame(frame(data), 9)).message).toBe(`binance frame #9: ${reason}`);
  });

  it("recognises non-trade frames and never throws on odd ones", () => {
    expect(parseBinanceFrame('{"result":null,"id":7}', 1)).toEqual({ kind: "ignored", reason: "response to request 7" });
    expect(parseBinanceFrame('{"e":"kline","E":1,"s":"BTCUSDT"}', 1).kind).toBe("ignored");
    expect(errorOf(parseBinanceFrame('{"error":{"code":2,"msg":"Invalid request"},"id":1}', 3)).message).toBe(
      'binance frame #3: the exchange refused request 1: {"code":2,"msg":"Invalid request"}',
    );
    expect(errorOf(parseBinanceFrame("[1,2]", 4)).message).toBe("binance frame #4: must be a JSON object, got [1,2]");
    expect(errorOf(parseBinanceFrame('{"hello":1}', 5)).message).toMatch(/^binance frame #5: is not a Binance stream frame/);
    expect(errorOf(parseBinanceFrame('{"stream":"btcusdt@trade","data":null}', 6)).field).toBe("data");
    expect(errorOf(parseBinanceFrame('{"stream":"btcusdt@trade","data":{"s":"BTCUSDT"}}', 6)).field).toBe("e");
  });

  it("builds the SUBSCRIBE request Binance documents", () => {
    expect(subscribeMessage(["BTCUSDT"])).toBe('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}');
    expect(JSON.parse(subscribeMessage(["BTCUSDT", "ETHUSDT"], 3))).toEqual({ method: "SUBSCRIBE", params: ["btcusdt@trade", "ethusdt@trade"], id: 3 });
    expect(tradeStreamName("1000SATSUSDT")).toBe("1000satsusdt@trade");
  });
});
