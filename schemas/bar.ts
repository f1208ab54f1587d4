// An OHLCV bar: built from trades by the bars operator, or imported from a recorded file.
import { defineMessage, type MessageOf } from "./message.ts";
import { integer, number, symbol, text, timestampNs } from "./field.ts";
import { TIMEFRAME_PATTERN } from "./timeframe.ts";

export const BarMessage = defineMessage({
  type: "bar",
  version: 1,
  table: "bars",
  description: "An OHLCV bar over [tsOpen, tsEvent). Subject md.bars.<TIMEFRAME>.<SYMBOL>.",
  fields: {
    symbol: symbol(),
    timeframe: text("bar length, e.g. 1m, 5m, 1h, 1d", { pattern: TIMEFRAME_PATTERN, patternHint: "must be a timeframe like 15s, 1m, 1h or 1d" }),
    tsOpen: timestampNs("start of the bar interval (inclusive)"),
    tsEvent: timestampNs("end of the bar interval (exclusive): the time the bar is known"),
    open: number("first price", { positive: true }),
    high: number("highest price", { positive: true }),
    low: number("lowest price", { positive: true }),
    close: number("last price", { positive: true }),
    volume: number("traded quantity", { nonNegative: true }),
    vwap: number("volume-weighted average price (close when volume is 0)", { positive: true }),
    trades: integer("number of trades in the bar (0 when imported without it)", { min: 0 }),
  },
  check: (b) => {
    if (b.high < b.low) return ["high", `must be >= low (${b.low}), got ${b.high}`];
    if (b.high < Math.max(b.open, b.close)) return ["high", `must be >= open and close, got ${b.high}`];
    if (b.low > Math.min(b.open, b.close)) return ["low", `must be <= open and close, got ${b.low}`];
    if (b.tsEvent <= b.tsOpen) return ["tsEvent", "must be after tsOpen"];
    return undefined;
  },
});
export type Bar = MessageOf<typeof BarMessage.fields>;

export const barId = (b: Pick<Bar, "symbol" | "timeframe" | "tsOpen">): string => `${b.symbol}.${b.timeframe}.${b.tsOpen}`;
