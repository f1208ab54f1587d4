// Position sizing rules: how many units a strategy holds when it wants to be in the market.
import { z } from "zod";
import { roundDownToLot } from "./instrument.ts";

/** Settings every sizing rule that depends on a price takes. */
const priced = {
  at: z
    .enum(["signal", "fill"])
    .default("signal")
    .describe(
      "signal: size at the signal bar's price and equity; fill: size when the order fills, at the fill price (slippage and per-unit/percent commission included) and the equity after closing the previous position there (backtesting.py's convention)",
    ),
  units: z
    .enum(["whole", "fractional"])
    .default("whole")
    .describe(
      "whole: round down to the instrument's lots (whole shares); fractional: exact units, rounded down to 1e-8 (fractional shares, crypto; backtrader's PercentSizer)",
    ),
};

export const SizingSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("fixed_units"), units: z.number().positive().describe("always this many units") }).strict(),
  z
    .object({ kind: z.literal("fixed_notional"), notional: z.number().positive().describe("units = floor(notional / (price * multiplier))"), ...priced })
    .strict(),
  z
    .object({
      kind: z.literal("percent_equity"),
      percent: z.number().positive().max(1000).describe("units = floor(percent/100 * equity / (price * multiplier))"),
      ...priced,
    })
    .strict(),
  z
    .object({
      kind: z.literal("volatility_target"),
      ...priced,
      riskFraction: z.number().positive().max(1).describe("fraction of equity one volatility unit of price move may cost, e.g. 0.01"),
      volatility: z.string().min(1).describe("name of the value in the indicator row holding the volatility in price units, e.g. atr14"),
      maxPercentEquity: z.number().positive().optional().describe("cap on the notional as percent of equity"),
    })
    .strict(),
]);
/** A sizing rule; `at` and `units` default to "signal" and "whole". */
export type Sizing = z.input<typeof SizingSchema>;

export interface SizingInput {
  readonly price: number;
  readonly equity: number;
  readonly multiplier: number;
  readonly lotSize: number;
  /** Volatility in price units (ATR, or stdev of price changes), for volatility_target. */
  readonly volatility?: number | undefined;
  /** Cost per unit on top of price * multiplier (commission per unit and percent), when sizing at the fill. Default 0. */
  readonly costPerUnit?: number;
}

/** The finest quantity of fractional sizing. */
export const FRACTIONAL_STEP = 1e-8;

/** Whether the rule sizes at the fill (true) or at the signal. */
export const sizesAtFill = (rule: Sizing): boolean => rule.kind !== "fixed_units" && rule.at === "fill";
/** Whether the rule's units may be fractions of a lot. */
export const isFractional = (rule: Sizing): boolean => rule.kind !== "fixed_units" && rule.units === "fractional";

/**
 * Units to hold (>= 0, whole lots). Volatility targeting: units = riskFraction * equity / (volatility * multiplier),
 * so a one-volatility move costs riskFraction of equity. Returns 0 when the inputs do not allow a size
 * (no price, no volatility yet, non-positive equity).
 */
export function unitsFor(rule: Sizing, x: SizingInput): number {
  if (!(x.price > 0) || !(x.equity > 0)) return rule.kind === "fixed_units" ? roundDownToLot(rule.units, x.lotSize) : 0;
  const unitValue = x.price * x.multiplier + (x.costPerUnit ?? 0);
  let units: number;
  switch (rule.kind) {
    case "fixed_units":
      units = rule.units;
      break;
    case "fixed_notional":
      units = rule.notional / unitValue;
      break;
    case "percent_equity":
      units = ((rule.percent / 100) * x.equity) / unitValue;
      break;
    case "volatility_target": {
      if (x.volatility === undefined || !(x.volatility > 0)) return 0;
      units = (rule.riskFraction * x.equity) / (x.volatility * x.multiplier);
      if (rule.maxPercentEquity !== undefined) units = Math.min(units, ((rule.maxPercentEquity / 100) * x.equity) / unitValue);
      break;
    }
  }
  return isFractional(rule) ? roundDownToLot(units, FRACTIONAL_STEP) : roundDownToLot(units, x.lotSize);
}
