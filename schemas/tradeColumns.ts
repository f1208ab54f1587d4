// Trades held column-major: the layout replay reads from DuckDB (symbol codes into a dictionary, nanosecond times,
// prices and sizes in typed arrays), handed to operators that read columns (operators/bars.ts) without building one
// object per trade. `row(i)` builds the trade live decoding would give, for everything else.
import type { ItemColumns } from "../core/chunk.ts";
import type { Trade } from "./trade.ts";

export interface TradeColumns extends ItemColumns<Trade> {
  readonly kind: "trade";
  /** Rows [from, to) of the arrays below are this batch's. */
  readonly from: number;
  readonly to: number;
  /** The symbol of row i is symbols[symbol[i]]. */
  readonly symbols: readonly string[];
  readonly symbol: ArrayLike<number>;
  readonly tsEvent: ArrayLike<bigint>;
  readonly price: ArrayLike<number>;
  readonly size: ArrayLike<number>;
  /** Row i (an index into the arrays, from <= i < to) as a trade. */
  row(i: number): Trade;
}

export const isTradeColumns = (c: ItemColumns<unknown>): c is TradeColumns => c.kind === "trade";
