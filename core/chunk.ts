// The unit that flows between pipeline operators: a batch of items plus an in-band watermark.
// Carrying batches (not single events) is what lets replay reach millions of events per second;
// carrying the watermark in-band is what makes every operator's output independent of how the
// input was cut into batches, so live and replay produce the same sequence.
import { Observable, type OperatorFunction } from "rxjs";
import { managedHandler, type StateSpec } from "./state.ts";

export interface Chunk<T> {
  readonly items: readonly T[];
  /**
   * Every item with event time < watermark has been delivered on this stream (nanoseconds since the epoch).
   * Never decreases. WATERMARK_END means the stream is complete.
   */
  readonly watermark: bigint;
  /**
   * The same items held column-major (replay reads them so from DuckDB): an operator that declares `onColumns` reads
   * them without one object per item; `items` is then built only when something else reads it.
   */
  readonly columns?: ItemColumns<T>;
}

/** Items laid out column by column (typed arrays), e.g. schemas/tradeColumns.ts; `rows()` builds the item objects. */
export interface ItemColumns<T> {
  /** Which layout this is ("trade"): an operator takes only the layouts it knows. */
  readonly kind: string;
  readonly length: number;
  /** The event times of the first and the last item. */
  readonly firstTsEvent: bigint;
  readonly lastTsEvent: bigint;
  rows(): T[];
}

/** A chunk of columns whose `items` are built on first read (and kept). */
export function columnarChunk<T>(columns: ItemColumns<T>, watermark: bigint): Chunk<T> {
  let rows: T[] | undefined;
  return {
    columns,
    watermark,
    get items(): readonly T[] {
      rows ??= columns.rows();
      return rows;
    },
  };
}

/** How many items a chunk carries, without building them from its columns. */
export const chunkLength = (chunk: Chunk<unknown>): number => (chunk.columns ? chunk.columns.length : chunk.items.length);

export const WATERMARK_START = -(2n ** 63n);
export const WATERMARK_END = 2n ** 63n - 1n;

/** What one subscription of a chunk operator does; created fresh per subscription, so state is never shared. */
export interface ChunkHandler<I, O> {
  /** Handles a batch of items, pushing outputs to `out`. */
  onItems(items: readonly I[], out: O[]): void;
  /** Called after onItems whenever the watermark advances; emit what the new watermark completes. */
  onWatermark?(watermark: bigint, out: O[]): void;
  /**
   * Handles a batch held as columns, exactly as onItems would handle its rows; returns false for a layout it does
   * not know (onItems then gets the rows).
   */
  onColumns?(columns: ItemColumns<I>, out: O[]): boolean;
}

/**
 * Builds an operator over chunks from a per-subscription handler factory.
 * An output chunk is emitted whenever there are outputs or the watermark advanced.
 * A stateful operator declares its state (`state`): the factory then gets that plain-data object, keeps everything
 * it must remember in it, and the runtime can checkpoint and restore it (core/state.ts). A factory without a
 * declared state must keep nothing between batches.
 *
 * @example
 * const double = chunkOperator<number, number>(() => ({ onItems: (xs, out) => { for (const x of xs) out.push(2 * x); } }));
 * const count = chunkOperator<number, number, { n: number }>((s) => ({ onItems: (xs, out) => { s.n += xs.length; out.push(s.n); } }),
 *   { name: "count", version: 1, init: () => ({ n: 0 }) });
 */
export function chunkOperator<I, O>(create: () => ChunkHandler<I, O>): OperatorFunction<Chunk<I>, Chunk<O>>;
export function chunkOperator<I, O, S>(create: (state: S) => ChunkHandler<I, O>, state: StateSpec<S>): OperatorFunction<Chunk<I>, Chunk<O>>;
export function chunkOperator<I, O, S>(create: (state: S) => ChunkHandler<I, O>, spec?: StateSpec<S>): OperatorFunction<Chunk<I>, Chunk<O>> {
  return (source) =>
    new Observable<Chunk<O>>((subscriber) => {
      let watermark = WATERMARK_START;
      const h = managedHandler(spec, create, { save: () => watermark, load: (w) => (watermark = w as bigint) });
      return source.subscribe({
        next(chunk) {
          const out: O[] = [];
          const advanced = chunk.watermark > watermark;
          try {
            const cols = chunk.columns;
            if (cols?.length) {
              if (!h.handler.onColumns?.(cols, out)) h.handler.onItems(chunk.items, out);
            } else if (!cols && chunk.items.length) h.handler.onItems(chunk.items, out);
            if (advanced) {
              watermark = chunk.watermark;
              h.handler.onWatermark?.(watermark, out);
            }
          } catch (err) {
            subscriber.error(err);
            return;
          }
          if (out.length || advanced) subscriber.next({ items: out, watermark });
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}

/** An item-wise map over chunks; `f` returns undefined to emit nothing for an item. */
export function mapItems<I, O>(create: () => (item: I) => O | undefined): OperatorFunction<Chunk<I>, Chunk<O>> {
  return chunkOperator<I, O>(() => {
    const f = create();
    return {
      onItems(items, out) {
        for (const item of items) {
          const o = f(item);
          if (o !== undefined) out.push(o);
        }
      },
    };
  });
}
