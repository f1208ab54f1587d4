// Every indicator a pipeline declaration can name: its params (zod, with defaults), its outputs, and how to build it.

import { z } from "zod";
import { Adx, type AdxValue } from "./adx.ts";
import { Atr } from "./atr.ts";
import { type BarIndicator, type BarIndicatorState, checkBar, type Kernel, KernelIndicator, readSource, sourceSchema, type Source } from "./barIndicator.ts";
import { BollingerBands, type BollingerBandsValue } from "./bollingerBands.ts";
import { Cci } from "./cci.ts";
import { Dema } from "./dema.ts";
import { Ema } from "./ema.ts";
import { Macd, type MacdValue } from "./macd.ts";
import { Obv } from "./obv.ts";
import { Roc } from "./roc.ts";
import { Rsi } from "./rsi.ts";
import { Sma } from "./sma.ts";
import { StdDev, type StdDevValue } from "./stdDev.ts";
import { Stochastic, type StochasticValue } from "./stochastic.ts";
import { Tema } from "./tema.ts";
import { TiIndicator, tiDefinitions, type TiDefinition } from "./technicalIndicators.ts";
import type { Bar } from "./types.ts";
import { Vwap } from "./vwap.ts";
import { Wma } from "./wma.ts";
import { ZScore } from "./zScore.ts";
import { TickflowError } from "../../core/errors.ts";

export interface IndicatorSpec {
  name: string;
  description: string;
  /** Where the definition comes from: "tickflow (TA-Lib definition)" or "technicalindicators". */
  implementation: "tickflow" | "technicalindicators";
  /** Validates and fills the defaults of the params (without `id`/`name`, which belong to the pipeline). */
  params: z.ZodType<Record<string, unknown>>;
  outputs: readonly string[];
  /** Whether toState works (technicalindicators' unbounded-memory indicators cannot be saved). */
  checkpointable: boolean;
  /**
   * Why a checkpointed pipeline refuses this indicator: its state cannot be saved, or its restore does not continue
   * exactly like an uninterrupted run. Undefined when it resumes exactly (all of ours).
   */
  unsupported?: string;
  create(params?: unknown): BarIndicator;
  fromState(state: BarIndicatorState): BarIndicator;
}

/** Unknown indicator name, or params that fail the indicator's schema. */
export class IndicatorParamsError extends TickflowError {
  static override readonly code = "INDICATOR_PARAMS_INVALID";
  override name = "IndicatorParamsError";
  constructor(
    message: string,
    readonly issues: readonly ParamIssue[] = [],
  ) {
    super(message);
  }
}

export interface ParamIssue {
  /** e.g. "period" or "set.0.period" when the caller prefixes it. */
  path: string;
  /** zod's expectation, e.g. "Too small: expected number to be >=2". */
  message: string;
}

const period = (def: number, min = 1) => z.number().int().min(min).default(def).describe(`window or smoothing length in bars (default ${def})`);

type Specs = Record<string, IndicatorSpec>;
const specs: Specs = {};

function register<S extends z.ZodType<Record<string, unknown>>>(
  spec: Omit<IndicatorSpec, "create" | "fromState" | "params"> & {
    params: S;
    build(p: z.output<S>): BarIndicator;
    restore(p: z.output<S>, state: unknown): BarIndicator;
  },
): void {
  const { build, restore, ...rest } = spec;
  specs[spec.name] = {
    ...rest,
    create(params?: unknown) {
      return build(parseOrThrow(spec.name, spec.params, params ?? {}));
    },
    fromState(saved: BarIndicatorState) {
      if (saved.name !== spec.name) throw new IndicatorParamsError(`cannot restore ${spec.name} from a saved ${saved.name}`);
      return restore(parseOrThrow(spec.name, spec.params, saved.params), saved.state);
    },
  };
}

/** A single-series kernel of ours, reading `source`. */
function series<O, S extends z.ZodType<Record<string, unknown> & { source: Source }>>(
  name: string,
  description: string,
  params: S,
  outputs: readonly string[],
  make: (p: z.output<S>) => Kernel<number, O>,
  restore: (state: unknown) => Kernel<number, O>,
  toValues: (v: O) => readonly number[],
): void {
  const wrap = (p: z.output<S>, k: Kernel<number, O>) =>
    new KernelIndicator<number, O>(name, outputs, p, k, (bar) => readSource(name, p.source, bar), toValues);
  register({
    name,
    description,
    implementation: "tickflow",
    params,
    outputs,
    checkpointable: true,
    build: (p) => wrap(p, make(p)),
    restore: (p, s) => wrap(p, restore(s)),
  });
}

/** A bar kernel of ours, reading the given bar fields. */
function barKernel<I, O, S extends z.ZodType<Record<string, unknown>>>(
  name: string,
  description: string,
  params: S,
  outputs: readonly string[],
  fields: readonly (keyof Bar)[],
  make: (p: z.output<S>) => Kernel<I, O>,
  restore: (state: unknown) => Kernel<I, O>,
  toValues: (v: O) => readonly number[],
): void {
  const input = (bar: Bar) => {
    checkBar(name, bar, fields);
    return bar as unknown as I;
  };
  const wrap = (p: z.output<S>, k: Kernel<I, O>) => new KernelIndicator<I, O>(name, outputs, p, k, input, toValues);
  register({
    name,
    description,
    implementation: "tickflow",
    params,
    outputs,
    checkpointable: true,
    build: (p) => wrap(p, make(p)),
    restore: (p, s) => wrap(p, restore(s)),
  });
}

/**
 * How a technicalindicators indicator checkpoints: "exact" (replaying its last bars restores it bit for bit: the
 * rolling highs and lows of williamsr, ichimoku), "approximate" (replay restarts running sums inside technicalindicators,
 * so values match to ~1e-12, not exactly: kst, ao, mfi) or "none" (unbounded memory in a generator: toState throws).
 */
type TiCheckpoint = "exact" | "approximate" | "none";

/** An indicator from technicalindicators. */
function wrapped<S extends z.ZodType<Record<string, unknown>>>(
  name: string,
  description: string,
  params: S,
  outputs: readonly string[],
  definition: (p: z.output<S>) => TiDefinition,
  checkpoint: TiCheckpoint,
): void {
  register({
    name,
    description,
    implementation: "technicalindicators",
    params,
    outputs,
    checkpointable: checkpoint !== "none",
    unsupported:
      checkpoint === "none"
        ? `${name} (from technicalindicators) keeps unbounded state inside a generator and cannot be checkpointed`
        : checkpoint === "approximate"
          ? `${name} (from technicalindicators) is restored by replaying its last bars, which restarts its running sums: a resumed run may differ from an uninterrupted one in the last digits`
          : undefined,
    build: (p) => new TiIndicator(name, outputs, p, definition(p)),
    restore: (p, s) => TiIndicator.restore(name, outputs, p, definition(p), s),
  });
}

const one = (v: number) => [v];

// ---- Ours: TA-Lib definitions, full precision -------------------------------------------------------------
series("sma", "simple moving average", z.strictObject({ period: period(20), source: sourceSchema }), ["sma"], (p) => new Sma(p.period), Sma.fromState, one);
series(
  "ema",
  "exponential moving average, seeded with the SMA of the first period",
  z.strictObject({ period: period(20), source: sourceSchema }),
  ["ema"],
  (p) => new Ema(p.period),
  Ema.fromState,
  one,
);
series(
  "wma",
  "linearly weighted moving average",
  z.strictObject({ period: period(20), source: sourceSchema }),
  ["wma"],
  (p) => new Wma(p.period),
  Wma.fromState,
  one,
);
series(
  "dema",
  "double exponential moving average (2·EMA − EMA of EMA)",
  z.strictObject({ period: period(20), source: sourceSchema }),
  ["dema"],
  (p) => new Dema(p.period),
  Dema.fromState,
  one,
);
series(
  "tema",
  "triple exponential moving average",
  z.strictObject({ period: period(20), source: sourceSchema }),
  ["tema"],
  (p) => new Tema(p.period),
  Tema.fromState,
  one,
);
series(
  "rsi",
  "relative strength index, Wilder smoothing",
  z.strictObject({ period: period(14, 2), source: sourceSchema }),
  ["rsi"],
  (p) => new Rsi(p.period),
  Rsi.fromState,
  one,
);
series(
  "macd",
  "MACD line, signal and histogram, seeded as TA-Lib does",
  z
    .strictObject({ fastPeriod: period(12), slowPeriod: period(26), signalPeriod: period(9), source: sourceSchema })
    .refine((p) => p.fastPeriod < p.slowPeriod, { message: "fastPeriod must be smaller than slowPeriod", path: ["fastPeriod"] }),
  ["macd", "signal", "hist"],
  (p) => new Macd(p.fastPeriod, p.slowPeriod, p.signalPeriod),
  Macd.fromState,
  (v: MacdValue) => [v.macd, v.signal, v.hist],
);
series(
  "bbands",
  "Bollinger Bands: SMA ± stdDev population standard deviations",
  z.strictObject({ period: period(20), stdDev: z.number().min(0).default(2).describe("band width in standard deviations (default 2)"), source: sourceSchema }),
  ["upper", "middle", "lower"],
  (p) => new BollingerBands(p.period, p.stdDev),
  BollingerBands.fromState,
  (v: BollingerBandsValue) => [v.upper, v.middle, v.lower],
);
series("roc", "rate of change, percent", z.strictObject({ period: period(10), source: sourceSchema }), ["roc"], (p) => new Roc(p.period), Roc.fromState, one);
series(
  "stddev",
  "rolling population standard deviation and mean",
  z.strictObject({ period: period(20), source: sourceSchema }),
  ["stddev", "mean"],
  (p) => new StdDev(p.period),
  StdDev.fromState,
  (v: StdDevValue) => [v.stddev, v.mean],
);
series(
  "zscore",
  "rolling z-score of the latest value",
  z.strictObject({ period: period(20, 2), source: sourceSchema }),
  ["zscore"],
  (p) => new ZScore(p.period),
  ZScore.fromState,
  one,
);

barKernel(
  "atr",
  "average true range, Wilder smoothing",
  z.strictObject({ period: period(14) }),
  ["atr"],
  ["high", "low", "close"],
  (p) => new Atr(p.period),
  Atr.fromState,
  one,
);
barKernel(
  "stoch",
  "slow stochastic %K/%D (SMA smoothing)",
  z.strictObject({ kPeriod: period(14), kSmoothing: period(3), dPeriod: period(3) }),
  ["k", "d"],
  ["high", "low", "close"],
  (p) => new Stochastic(p.kPeriod, p.kSmoothing, p.dPeriod),
  Stochastic.fromState,
  (v: StochasticValue) => [v.k, v.d],
);
barKernel(
  "adx",
  "average directional index with +DI/−DI, Wilder smoothing",
  z.strictObject({ period: period(14, 2) }),
  ["adx", "plusDI", "minusDI"],
  ["high", "low", "close"],
  (p) => new Adx(p.period),
  Adx.fromState,
  (v: AdxValue) => [v.adx, v.plusDI, v.minusDI],
);
barKernel("obv", "on-balance volume", z.strictObject({}), ["obv"], ["close", "volume"], () => new Obv(), Obv.fromState, one);
barKernel(
  "cci",
  "commodity channel index (mean deviation)",
  z.strictObject({ period: period(20, 2) }),
  ["cci"],
  ["high", "low", "close"],
  (p) => new Cci(p.period),
  Cci.fromState,
  one,
);
barKernel(
  "vwap",
  "volume-weighted average of the typical price: rolling over `period` bars, or per session when period is 0",
  z.strictObject({
    period: z.number().int().min(0).default(0).describe("bars in the rolling window; 0 = session VWAP, reset() at each session open (default 0)"),
  }),
  ["vwap"],
  ["high", "low", "close", "volume"],
  (p) => new Vwap(p.period),
  Vwap.fromState,
  one,
);

// ---- From technicalindicators (their definitions; see docs/indicators.md) ----------------------------------
wrapped(
  "psar",
  "parabolic SAR",
  z.strictObject({
    step: z.number().positive().default(0.02).describe("acceleration factor step"),
    max: z.number().positive().default(0.2).describe("maximum acceleration factor"),
  }),
  ["psar"],
  tiDefinitions.psar,
  "none",
);
wrapped("williamsr", "Williams %R", z.strictObject({ period: period(14) }), ["williamsr"], tiDefinitions.williamsr, "exact");
wrapped("mfi", "money flow index", z.strictObject({ period: period(14) }), ["mfi"], tiDefinitions.mfi, "approximate");
wrapped(
  "ichimoku",
  "Ichimoku cloud (conversion, base, leading spans A and B, not displaced)",
  z.strictObject({ conversionPeriod: period(9), basePeriod: period(26), spanPeriod: period(52), displacement: period(26) }),
  ["conversion", "base", "spanA", "spanB"],
  tiDefinitions.ichimoku,
  "exact",
);
wrapped(
  "kst",
  "Know Sure Thing and its signal line",
  z.strictObject({
    rocPer1: period(10),
    rocPer2: period(15),
    rocPer3: period(20),
    rocPer4: period(30),
    smaPer1: period(10),
    smaPer2: period(10),
    smaPer3: period(10),
    smaPer4: period(15),
    signalPeriod: period(9),
  }),
  ["kst", "signal"],
  tiDefinitions.kst,
  "approximate",
);
wrapped("trix", "TRIX: 1-bar rate of change of a triple EMA", z.strictObject({ period: period(18) }), ["trix"], tiDefinitions.trix, "none");
wrapped("ao", "awesome oscillator", z.strictObject({ fastPeriod: period(5), slowPeriod: period(34) }), ["ao"], tiDefinitions.ao, "approximate");
wrapped("adl", "accumulation/distribution line", z.strictObject({}), ["adl"], () => tiDefinitions.adl(), "none");
wrapped("forceindex", "force index (EMA of close change × volume)", z.strictObject({ period: period(13) }), ["forceindex"], tiDefinitions.forceindex, "none");
wrapped(
  "keltner",
  "Keltner channels",
  z.strictObject({
    maPeriod: period(20),
    atrPeriod: period(10),
    multiplier: z.number().positive().default(1).describe("channel half-width in ATRs"),
    useSMA: z.boolean().default(false).describe("middle line is an SMA instead of an EMA"),
  }),
  ["upper", "middle", "lower"],
  tiDefinitions.keltner,
  "none",
);

/** Every registered indicator, by name. */
export const indicatorRegistry: Readonly<Record<string, IndicatorSpec>> = specs;

/** The spec of `name`; throws an IndicatorParamsError listing the known names when there is none. */
export function lookupIndicator(name: string): IndicatorSpec {
  const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
  if (!spec) {
    throw new IndicatorParamsError(`unknown indicator "${name}"; known indicators: ${Object.keys(specs).sort().join(", ")}`);
  }
  return spec;
}

export type ParseResult = { ok: true; params: Record<string, unknown> } | { ok: false; issues: ParamIssue[] };

/** Validates `params` for indicator `name` (throws for an unknown name); on failure returns each zod issue's path and expectation. */
export function parseIndicatorParams(name: string, params: unknown): ParseResult {
  const r = lookupIndicator(name).params.safeParse(params ?? {});
  if (r.success) return { ok: true, params: r.data };
  return { ok: false, issues: r.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })) };
}

/** Builds indicator `name` from raw params; throws IndicatorParamsError naming the bad param and what was expected. */
export function createIndicator(name: string, params?: unknown): BarIndicator {
  return lookupIndicator(name).create(params);
}

/** Rebuilds an indicator from the object its `toState()` returned (after JSON round trip). */
export function restoreIndicator(saved: BarIndicatorState): BarIndicator {
  return lookupIndicator(saved.name).fromState(saved);
}

function parseOrThrow<S extends z.ZodType<Record<string, unknown>>>(name: string, schema: S, params: unknown): z.output<S> {
  const r = schema.safeParse(params);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
  const detail = issues.map((i) => `${i.path || "(params)"}: ${i.message}`).join("; ");
  throw new IndicatorParamsError(`indicator ${name}: invalid params: ${detail}`, issues);
}
