// The uniform face every registry indicator shows a pipeline: bars in, a fixed tuple of numbers out, plain state.

import { z } from "zod";
import type { Bar } from "./types.ts";
import { TickflowError } from "../../core/errors.ts";

/** The price a single-series indicator reads from each bar. */
export const sourceSchema = z
  .enum(["open", "high", "low", "close", "volume", "hl2", "hlc3"])
  .default("close")
  .describe("bar field the indicator reads: open, high, low, close, volume, hl2 = (high+low)/2, hlc3 = (high+low+close)/3");
export type Source = z.infer<typeof sourceSchema>;

/** A running indicator for one symbol, created by the registry. */
export interface BarIndicator {
  /** Registry name, e.g. "macd". */
  readonly name: string;
  /** Names of the values `update` returns, in order, e.g. ["macd", "signal", "hist"]. */
  readonly outputs: readonly string[];
  /** 0-based index of the first bar that yields a value (the number of bars swallowed by warm-up). */
  readonly warmup: number;
  /** Feeds one bar; returns the values in `outputs` order, or undefined during warm-up. */
  update(bar: Bar): readonly number[] | undefined;
  /** Plain JSON data from which `restoreIndicator` rebuilds this indicator exactly. */
  toState(): BarIndicatorState;
  /** Session VWAP only: starts a new session. */
  reset?(): void;
}

export interface BarIndicatorState {
  name: string;
  /** The parsed params, defaults filled in. */
  params: Record<string, unknown>;
  state: unknown;
}

/** A bar field was NaN or infinite: kernels would carry it forever, so it is refused instead. */
export class IndicatorInputError extends TickflowError {
  static override readonly code = "INDICATOR_INPUT_NOT_FINITE";
  override name = "IndicatorInputError";
}

export function readSource(indicator: string, source: Source, bar: Bar): number {
  let x: number;
  switch (source) {
    case "hl2":
      x = (bar.high + bar.low) / 2;
      break;
    case "hlc3":
      x = (bar.high + bar.low + bar.close) / 3;
      break;
    default:
      x = bar[source];
  }
  if (!Number.isFinite(x)) throw new IndicatorInputError(`${indicator}: bar ${source} must be a finite number, got ${x}`);
  return x;
}

/** Throws unless every field the indicator reads is finite. */
export function checkBar(indicator: string, bar: Bar, fields: readonly (keyof Bar)[]): void {
  for (const f of fields) {
    const x = bar[f];
    if (!Number.isFinite(x)) throw new IndicatorInputError(`${indicator}: bar ${f} must be a finite number, got ${x}`);
  }
}

/** A kernel (Sma, Macd, ...) as the adapter sees it. */
export interface Kernel<I, O> {
  readonly warmup: number;
  next(input: I): O | undefined;
  toState(): unknown;
  reset?(): void;
}

/** Wraps one of our kernels as a BarIndicator. */
export class KernelIndicator<I, O> implements BarIndicator {
  readonly warmup: number;
  constructor(
    readonly name: string,
    readonly outputs: readonly string[],
    private readonly params: Record<string, unknown>,
    private readonly kernel: Kernel<I, O>,
    private readonly input: (bar: Bar) => I,
    private readonly output: (value: O) => readonly number[],
  ) {
    this.warmup = kernel.warmup;
    if (kernel.reset) this.reset = () => kernel.reset!();
  }

  reset?: () => void;

  update(bar: Bar): readonly number[] | undefined {
    const v = this.kernel.next(this.input(bar));
    return v === undefined ? undefined : this.output(v);
  }

  toState(): BarIndicatorState {
    return { name: this.name, params: this.params, state: this.kernel.toState() };
  }
}
