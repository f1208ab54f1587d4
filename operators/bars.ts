// bars: trades → OHLCV bars per symbol over event-time tumbling intervals aligned to the epoch.
import type { OperatorFunction } from "rxjs";
import { chunkOperator, WATERMARK_START, type Chunk } from "../core/chunk.ts";
import type { StateSpec } from "../core/state.ts";
import type { Bar } from "../schemas/bar.ts";
import type { Trade } from "../schemas/trade.ts";
import { isTradeColumns, type TradeColumns } from "../schemas/tradeColumns.ts";
import { timeframeNs } from "../schemas/timeframe.ts";
import { addTradeToOhlcv, emptyOhlcv, ohlcvBar, type OhlcvAccumulator } from "./ohlcvAccumulator.ts";

export interface BarsOptions {
  /** Bar length, e.g. "1m" (see schemas/timeframe.ts). */
  readonly timeframe: string;
  /** Receives a trade older than its symbol's open bar, or in a bar the watermark already closed (out of order beyond what the sequencer allowed). */
  readonly onLate?: (trade: Trade, reason: string) => void;
  /** Receives a trade that would make its bar's volume or notional overflow to a non-finite number. */
  readonly onReject?: (trade: Trade, reason: string, field: string) => void;
}

/** A symbol's bar [start, end) still taking trades (or closed by a later trade, waiting for the watermark). */
export interface OpenBar {
  readonly symbol: string;
  readonly start: bigint;
  readonly end: bigint;
  readonly ohlcv: OhlcvAccumulator;
}

/** What `bars` remembers between batches (its declared state): plain data, checkpointed as it is. */
export interface BarsState {
  /** Each symbol's latest bar, still taking trades. */
  readonly open: Map<string, OpenBar>;
  /** Bars closed by a later trade of their symbol, waiting for the watermark. */
  readonly done: OpenBar[];
  /** The earliest end among `open` and `done` (undefined when both are empty). */
  minEnd: bigint | undefined;
  /** Bars ending at or before it have been emitted. */
  watermark: bigint;
}

const BARS_STATE: StateSpec<BarsState> = {
  name: "bars",
  version: 1,
  init: () => ({ open: new Map(), done: [], minEnd: undefined, watermark: WATERMARK_START }),
};

/**
 * Aggregates trades into bars. A bar [start, end) is emitted once the watermark reaches `end`
 * (never on the next trade alone), so output order is (end, symbol) however the input was batched.
 * Intervals with no trades produce no bar. The open bars live in the operator's declared state (`BarsState`),
 * so a checkpointed run resumes them.
 *
 * @example
 * trades$.pipe(bars({ timeframe: "1m" })) // Chunk<Trade> → Chunk<Bar>
 * @param options timeframe and the late-trade callback
 */
export function bars(options: BarsOptions): OperatorFunction<Chunk<Trade>, Chunk<Bar>> {
  const tf = timeframeNs(options.timeframe);
  const timeframe = options.timeframe;
  const toBar = ({ symbol, start, end, ohlcv }: OpenBar): Bar => ohlcvBar(ohlcv, symbol, timeframe, start, end);

  return chunkOperator<Trade, Bar, BarsState>((state) => {
    const { open, done } = state;

    const start = (symbol: string, tsEvent: bigint, price: number, size: number): OpenBar => {
      const s = tsEvent - (((tsEvent % tf) + tf) % tf);
      const b: OpenBar = { symbol, start: s, end: s + tf, ohlcv: emptyOhlcv() };
      addTradeToOhlcv(b.ohlcv, tsEvent, price, size);
      if (state.minEnd === undefined || b.end < state.minEnd) state.minEnd = b.end;
      return b;
    };

    /** Adds trade `i` of `source`, given its fields (the trade object itself is built only for a callback). */
    const add = (symbol: string, tsEvent: bigint, price: number, size: number, source: readonly Trade[] | TradeColumns, i: number): void => {
      const b = open.get(symbol);
      const inOpenBar = b !== undefined && tsEvent >= b.start && tsEvent < b.end;
      // Most trades fall in their symbol's open bar: the BigInt modulo only for the others.
      const end = inOpenBar ? b.end : tsEvent - (((tsEvent % tf) + tf) % tf) + tf;
      const volume = (inOpenBar ? b.ohlcv.volume : 0) + size;
      const notional = (inOpenBar ? b.ohlcv.notional : 0) + price * size;
      if (!Number.isFinite(volume) || !Number.isFinite(notional)) {
        // Finite prices and sizes can still overflow a sum; such a bar could not be published or indicated.
        const t = tradeAt(source, i);
        options.onReject?.(t, `trade ${t.id} would make the ${timeframe} bar of ${symbol} overflow (volume ${volume}, notional ${notional})`, "size");
      } else if (b !== undefined && tsEvent < b.start) {
        options.onLate?.(tradeAt(source, i), `trade at ${tsEvent} is before the open ${timeframe} bar of ${symbol} starting at ${b.start}`);
      } else if (end <= state.watermark) {
        // Its bar was already emitted (or would have been): aggregating it would emit that bar twice.
        options.onLate?.(tradeAt(source, i), `trade at ${tsEvent} is in a ${timeframe} bar of ${symbol} that closed at ${end} (watermark ${state.watermark})`);
      } else if (b === undefined) {
        open.set(symbol, start(symbol, tsEvent, price, size));
      } else if (tsEvent < b.end) {
        addTradeToOhlcv(b.ohlcv, tsEvent, price, size);
      } else {
        done.push(b);
        open.set(symbol, start(symbol, tsEvent, price, size));
      }
    };

    return {
      onItems(items) {
        for (let i = 0; i < items.length; i++) {
          const t = items[i]!;
          add(t.symbol, t.tsEvent, t.price, t.size, items, i);
        }
      },
      onColumns(columns) {
        if (!isTradeColumns(columns)) return false;
        const { symbols, symbol, tsEvent, price, size, to } = columns;
        for (let i = columns.from; i < to; i++) add(symbols[symbol[i]!]!, tsEvent[i]!, price[i]!, size[i]!, columns, i);
        return true;
      },
      onWatermark(watermark, out) {
        state.watermark = watermark;
        if (state.minEnd === undefined || watermark < state.minEnd) return;
        const ready: OpenBar[] = [];
        let next: bigint | undefined;
        for (let i = done.length - 1; i >= 0; i--) {
          if (done[i]!.end <= watermark) ready.push(done.splice(i, 1)[0]!);
        }
        for (const [sym, b] of open) {
          if (b.end <= watermark) {
            ready.push(b);
            open.delete(sym);
          } else if (next === undefined || b.end < next) next = b.end;
        }
        for (const b of done) if (next === undefined || b.end < next) next = b.end;
        state.minEnd = next;
        ready.sort((a, b) => (a.end < b.end ? -1 : a.end > b.end ? 1 : a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
        for (const b of ready) out.push(toBar(b));
      },
    };
  }, BARS_STATE);
}

/** Trade `i` of a batch: the item, or the row built from columns. */
const tradeAt = (source: readonly Trade[] | TradeColumns, i: number): Trade =>
  Array.isArray(source) ? (source as readonly Trade[])[i]! : (source as TradeColumns).row(i);
