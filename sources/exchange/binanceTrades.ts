// Binance public trade stream: the pure parser (one WebSocket text frame → a Trade, an ignored frame, or an error
// naming the frame and field) and the SUBSCRIBE request. No I/O: the connection loop is sources/websocketTradeInput.ts.
import { MessageValidationError } from "../../schemas/message.ts";
import { TradeMessage, type Trade } from "../../schemas/trade.ts";
import { NS_PER_MS } from "../../schemas/time.ts";

/** A Binance spot symbol as the exchange spells it (BTCUSDT, 1000SATSUSDT). */
export const BINANCE_SYMBOL = /^[A-Z0-9]{2,20}$/;

/** A frame that is not a valid trade: `binance frame #17: field "p" must be a positive number, got "abc"`. */
export class BinanceFrameError extends MessageValidationError {
  static override readonly code = "BINANCE_FRAME_INVALID";
  override readonly name = "BinanceFrameError";
  constructor(
    /** Number of the frame on the connection (1 = the first frame received). */
    readonly frame: number,
    field: string,
    reason: string,
  ) {
    super("binance", `frame #${frame}`, field, reason);
    this.message = `binance frame #${frame}: ${field ? `field "${field}" ` : ""}${reason}`;
  }
}

export type BinanceFrame =
  | { readonly kind: "trade"; readonly trade: Trade; readonly tradeId: bigint }
  /** Subscription responses and other event types: recognised, not trades. */
  | { readonly kind: "ignored"; readonly reason: string }
  /** `symbol` when the frame said which symbol it was about (the dead letter is filed under it). */
  | { readonly kind: "error"; readonly error: BinanceFrameError; readonly symbol?: string };

/** The stream name of a symbol's trade stream: BTCUSDT → btcusdt@trade. */
export const tradeStreamName = (symbol: string): string => `${symbol.toLowerCase()}@trade`;

/**
 * The request that subscribes a connection to the trade streams of `symbols`.
 * @example
 * subscribeMessage(["BTCUSDT"]) // '{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}'
 */
export function subscribeMessage(symbols: readonly string[], id = 1): string {
  return JSON.stringify({ method: "SUBSCRIBE", params: symbols.map(tradeStreamName), id });
}

/** Binance sends prices and quantities as decimal strings ("43000.12000000"); nothing else is accepted. */
const DECIMAL = /^\d+(\.\d+)?$/;
/** Which Binance field a Trade field came from, to name the right one when the Trade's own checks refuse it. */
const SOURCE_FIELD: Record<string, string> = { id: "t", symbol: "s", tsEvent: "T", price: "p", size: "q", side: "m" };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function show(v: unknown): string {
  if (v === undefined) return "nothing (field missing)";
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Parses one text frame of the combined stream (`{"stream":"btcusdt@trade","data":{...}}`) or of a raw stream
 * (the `data` object alone). Never throws: a frame that is not a valid trade comes back as `error`.
 * The trade's id is `binance:<SYMBOL>:<t>`, its event time `T` (ms) in ns, and its side the aggressor's:
 * `m` (the buyer was the maker) means the taker sold.
 * @param text the frame's text
 * @param frame the frame's number on the connection, for the error message
 */
export function parseBinanceFrame(text: string, frame: number): BinanceFrame {
  const fail = (field: string, reason: string, symbol?: string): BinanceFrame => ({
    kind: "error",
    error: new BinanceFrameError(frame, field, reason),
    symbol,
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return fail("", `is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) return fail("", `must be a JSON object, got ${show(json)}`);
  if ("id" in json && !("stream" in json) && !("e" in json)) {
    // A response to a request of ours: `{"result":null,"id":1}` acknowledges the SUBSCRIBE.
    if ("error" in json) return fail("", `the exchange refused request ${show(json.id)}: ${show(json.error)}`);
    return { kind: "ignored", reason: `response to request ${show(json.id)}` };
  }
  let data: Json;
  let stream: string | undefined;
  if ("stream" in json || "data" in json) {
    if (typeof json.stream !== "string") return fail("stream", `must be a stream name like btcusdt@trade, got ${show(json.stream)}`);
    if (!isObject(json.data)) return fail("data", `must be an event object, got ${show(json.data)}`);
    stream = json.stream;
    data = json.data;
  } else if ("e" in json) {
    data = json;
  } else {
    return fail("", `is not a Binance stream frame (a {"stream", "data"} object, an event with "e", or a response with "id"), got ${show(json)}`);
  }
  if (typeof data.e !== "string") return fail("e", `must be an event type like "trade", got ${show(data.e)}`);
  if (data.e !== "trade") return { kind: "ignored", reason: `event type "${data.e}"${stream ? ` on ${stream}` : ""} (only trade events are read)` };

  const s = data.s;
  if (typeof s !== "string" || !BINANCE_SYMBOL.test(s)) return fail("s", `must be an upper-case Binance symbol like BTCUSDT, got ${show(s)}`);
  if (stream !== undefined && stream !== tradeStreamName(s))
    return fail("stream", `is ${show(stream)}, but the trade is for ${s} (expected "${tradeStreamName(s)}")`, s);
  const t = data.t;
  if (typeof t !== "number" || !Number.isSafeInteger(t) || t < 0) return fail("t", `must be a non-negative integer trade id, got ${show(t)}`, s);
  const T = data.T;
  if (typeof T !== "number" || !Number.isSafeInteger(T) || T <= 0)
    return fail("T", `must be a trade time in integer milliseconds since the epoch, got ${show(T)}`, s);
  const price = positiveDecimal(data.p);
  if (price === undefined) return fail("p", `must be a positive number, got ${show(data.p)}`, s);
  const size = positiveDecimal(data.q);
  if (size === undefined) return fail("q", `must be a positive number, got ${show(data.q)}`, s);
  if (typeof data.m !== "boolean") return fail("m", `must be true or false (is the buyer the maker), got ${show(data.m)}`, s);

  try {
    const trade = TradeMessage.create({ id: `binance:${s}:${t}`, symbol: s, tsEvent: BigInt(T) * NS_PER_MS, price, size, side: data.m ? "sell" : "buy" });
    return { kind: "trade", trade, tradeId: BigInt(t) };
  } catch (e) {
    if (!(e instanceof MessageValidationError)) throw e;
    return fail(SOURCE_FIELD[e.field] ?? e.field, e.reason, s);
  }
}

function positiveDecimal(v: unknown): number | undefined {
  if (typeof v !== "string" || !DECIMAL.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
