// What the broker needs to know about a tradable symbol: contract multiplier, tick and lot size, margin, costs.
import { z } from "zod";

/** Commission charged per fill: max(minimum, perUnit * qty + percent/100 * notional). */
export const CommissionSchema = z
  .object({
    perUnit: z.number().nonnegative().default(0).describe("per share / contract, e.g. 0.005"),
    percent: z.number().nonnegative().default(0).describe("percent of notional (qty * price * multiplier), e.g. 0.1 for 10 bps"),
    minimum: z.number().nonnegative().default(0).describe("minimum per order, charged on the order's first fill"),
  })
  .strict();
export type Commission = z.infer<typeof CommissionSchema>;

export const InstrumentSchema = z
  .object({
    symbol: z.string().min(1).describe("the symbol these settings apply to"),
    multiplier: z.number().positive().default(1).describe("currency per point per unit; 1 for shares, e.g. 50 for ES futures"),
    tickSize: z.number().positive().default(0.01).describe("price increment, used by tick slippage"),
    lotSize: z.number().positive().default(1).describe("quantities are whole multiples of this (1 = whole shares)"),
    initialMargin: z
      .number()
      .nonnegative()
      .optional()
      .describe("margin per unit for futures-like instruments; when set, fills do not move notional through cash, only P&L"),
    commission: CommissionSchema.default({ perUnit: 0, percent: 0, minimum: 0 }).describe("this instrument's commission (default none)"),
  })
  .strict();
export type Instrument = z.infer<typeof InstrumentSchema>;
export type InstrumentInput = z.input<typeof InstrumentSchema>;

/** A cash-equity instrument with the given commission (no multiplier, no margin). */
export const defaultInstrument = (symbol: string, commission?: Partial<Commission>): Instrument =>
  InstrumentSchema.parse({ symbol, commission: { ...commission } });

/** Whether the instrument is margined (futures-like): cash only moves by realized P&L and costs. */
export const isMargined = (i: Instrument): boolean => i.initialMargin !== undefined;

/**
 * Commission for one fill. `firstFillOfOrder` applies the per-order minimum once: the minimum is topped up on
 * the first fill, later partial fills pay only the proportional part.
 */
export function commissionFor(i: Instrument, qty: number, price: number, firstFillOfOrder: boolean): number {
  const c = i.commission;
  const raw = c.perUnit * qty + (c.percent / 100) * qty * price * i.multiplier;
  return firstFillOfOrder ? Math.max(c.minimum, raw) : raw;
}

/** Rounds a quantity down to whole lots (with a tolerance for floating-point noise). */
export const roundDownToLot = (qty: number, lotSize: number): number => Math.floor(qty / lotSize + 1e-9) * lotSize;
