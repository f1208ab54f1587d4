// RiskGuard: the checks an order passes before it leaves (position, gross exposure, margin, order rate) and the
// daily-loss kill switch. Time is event time; a trading day is the fill policy's session day.
import { z } from "zod";
import type { OrderSide } from "../schemas/order.ts";

export const RiskLimitsSchema = z
  .object({
    maxPositionPerSymbol: z.number().positive().optional().describe("max absolute units held in one symbol, counting working orders"),
    maxGrossExposure: z.number().positive().optional().describe("max sum of |qty * price * multiplier| over all symbols, in account currency"),
    maxOrderRate: z
      .object({
        count: z.number().int().positive().describe("accepted orders allowed per window"),
        windowNs: z.number().int().positive().describe("event-time window in ns, e.g. 60e9 for one minute"),
      })
      .strict()
      .optional()
      .describe("at most `count` accepted orders in any window of `windowNs` ending at the new order"),
    maxDailyLoss: z
      .number()
      .positive()
      .optional()
      .describe("kill switch: when equity falls this far below the day's starting equity, cancel all, flatten, reject until reset()"),
  })
  .strict();
export type RiskLimits = z.infer<typeof RiskLimitsSchema>;

/**
 * What the account may buy. cash: no short sales, buys need the cash (after working buys) for notional and
 * commission; margin: gross exposure of cash instruments may reach `leverage` × equity (Reg T: 2).
 * Margined instruments (an `initialMargin`) are checked against their margin in both.
 */
export const AccountSchema = z
  .object({
    type: z.enum(["cash", "margin"]).default("margin").describe("cash: no shorting, buys limited to cash; margin: buying power = leverage × equity"),
    leverage: z
      .number()
      .positive()
      .max(100)
      .optional()
      .describe("margin accounts: gross exposure may reach leverage × equity; default 2 (Reg T initial margin)"),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.type === "cash" && a.leverage !== undefined)
      ctx.addIssue({ code: "custom", path: ["leverage"], message: "applies to margin accounts only; a cash account buys with its cash" });
  });
/** Buying power of a margin account without a declared leverage: Reg T initial margin (50 %). */
export const DEFAULT_LEVERAGE = 2;
export type Account = z.infer<typeof AccountSchema>;
export type AccountInput = z.input<typeof AccountSchema>;

/** What the guard needs to know about the account to judge one order. */
export interface RiskContext {
  readonly symbol: string;
  readonly side: OrderSide;
  readonly qty: number;
  readonly tsEvent: bigint;
  /** Current signed position. */
  readonly position: number;
  /** Signed unfilled quantity of working orders in this symbol (bracket legs excluded: they only reduce). */
  readonly pending: number;
  /** Price to value the order at (last mark, else the order's limit/stop), undefined when unknown. */
  readonly price: number | undefined;
  readonly multiplier: number;
  readonly grossExposure: number;
  /** Margin per unit when the instrument is margined. */
  readonly initialMargin: number | undefined;
  readonly marginUsed: number;
  readonly equity: number;
  readonly cash: number;
  /** Cash promised to working buy orders of cash instruments (valued at their marks). */
  readonly reservedCash: number;
  /** The order's estimated commission at `price`. */
  readonly commission: number;
}

/** What the guard remembers (plain data, for a checkpoint); the limits are configuration and stay out of it. */
export interface RiskGuardState {
  /** Times of the accepted orders still inside the order-rate window. */
  recentOrders: bigint[];
  day: bigint | undefined;
  dayStartEquity: number;
  lastEquity: number;
  killed: { since: bigint; reason: string } | undefined;
}

export class RiskGuard {
  private s: RiskGuardState;

  constructor(
    private readonly limits: RiskLimits,
    startingEquity: number,
    state?: RiskGuardState,
    /** The buying-power rule; undefined: none (the library default; pipeline brokers declare one, default margin). */
    private readonly account?: Account,
  ) {
    this.s = state
      ? structuredClone(state)
      : { recentOrders: [], day: undefined, dayStartEquity: startingEquity, lastEquity: startingEquity, killed: undefined };
  }

  toState(): RiskGuardState {
    return structuredClone(this.s);
  }

  get killed(): { since: bigint; reason: string } | undefined {
    return this.s.killed;
  }

  /** Why the order must be rejected, or undefined. Orders that only reduce a position skip the size checks. */
  check(c: RiskContext): string | undefined {
    const L = this.limits;
    if (this.s.killed) return `kill switch is on since ${this.s.killed.since} (${this.s.killed.reason}); call reset() to trade again`;
    if (L.maxOrderRate) {
      const from = c.tsEvent - BigInt(L.maxOrderRate.windowNs);
      const n = this.s.recentOrders.filter((t) => t > from).length;
      if (n >= L.maxOrderRate.count) return `order rate limit: ${n} orders already in the last ${L.maxOrderRate.windowNs} ns (max ${L.maxOrderRate.count})`;
    }
    const before = c.position + c.pending;
    const after = before + (c.side === "buy" ? c.qty : -c.qty);
    if (Math.abs(after) <= Math.abs(before) && Math.sign(after) * Math.sign(before) >= 0) return undefined; // reduces risk
    if (L.maxPositionPerSymbol !== undefined && Math.abs(after) > L.maxPositionPerSymbol)
      return `max position: ${c.symbol} would reach ${after} units (limit ${L.maxPositionPerSymbol}, now ${c.position}, working ${c.pending})`;
    if (L.maxGrossExposure !== undefined) {
      if (c.price === undefined) return `max gross exposure: no price known yet for ${c.symbol} to value the order`;
      const gross = c.grossExposure - Math.abs(c.position * c.price * c.multiplier) + Math.abs(after * c.price * c.multiplier);
      if (gross > L.maxGrossExposure) return `max gross exposure: would reach ${round(gross)} (limit ${L.maxGrossExposure})`;
    }
    if (c.initialMargin !== undefined) {
      const need = c.marginUsed - Math.abs(c.position) * c.initialMargin + Math.abs(after) * c.initialMargin;
      if (need > c.equity) return `insufficient margin: ${round(need)} needed, equity ${round(c.equity)}`;
      return undefined;
    }
    return this.buyingPowerProblem(c, before, after);
  }

  /** The account type's check for a cash instrument's order that adds risk. */
  private buyingPowerProblem(c: RiskContext, before: number, after: number): string | undefined {
    const a = this.account;
    if (!a) return undefined;
    if (a.type === "cash") {
      if (after < 0) return `cash account: cannot sell ${c.symbol} short (position would reach ${after}); declare account: { type: margin } to short`;
      if (c.price === undefined) return `cash account: no price known yet for ${c.symbol} to value the order`;
      const buy = after - Math.max(before, 0);
      const need = buy * c.price * c.multiplier + c.commission;
      const available = c.cash - c.reservedCash;
      if (need > available + 1e-9)
        return `insufficient cash: buying ${buy} ${c.symbol} at ${c.price} needs ${round(need)} with commission, cash available ${round(available)}`;
      return undefined;
    }
    if (c.price === undefined) return `buying power: no price known yet for ${c.symbol} to value the order`;
    const gross = c.grossExposure - Math.abs(c.position * c.price * c.multiplier) + Math.abs(after * c.price * c.multiplier);
    const leverage = a.leverage ?? DEFAULT_LEVERAGE;
    const power = Math.max(c.equity, 0) * leverage;
    if (gross > power + 1e-9)
      return `insufficient buying power: gross exposure would reach ${round(gross)}, buying power ${round(power)} (equity ${round(c.equity)} x leverage ${leverage})`;
    return undefined;
  }

  /** Records an accepted order for the rate limit. */
  recordOrder(ts: bigint): void {
    const L = this.limits.maxOrderRate;
    if (!L) return;
    this.s.recentOrders.push(ts);
    const from = ts - BigInt(L.windowNs);
    while (this.s.recentOrders.length > 0 && this.s.recentOrders[0]! <= from) this.s.recentOrders.shift();
  }

  /**
   * Feeds the equity after an event on trading day `day`. Returns the reason when this call trips the kill switch.
   * The day's starting equity is the last equity seen before the day's first event.
   */
  onEquity(ts: bigint, day: bigint, equity: number): string | undefined {
    if (this.s.day !== day) {
      this.s.day = day;
      this.s.dayStartEquity = this.s.lastEquity;
    }
    this.s.lastEquity = equity;
    const max = this.limits.maxDailyLoss;
    if (max === undefined || this.s.killed) return undefined;
    const loss = this.s.dayStartEquity - equity;
    if (loss < max) return undefined;
    const reason = `daily loss ${round(loss)} reached the limit ${max} (day start equity ${round(this.s.dayStartEquity)}, now ${round(equity)})`;
    this.s.killed = { since: ts, reason };
    return reason;
  }

  /** Turns the kill switch off; today's loss is measured again from the current equity. */
  reset(): void {
    this.s.killed = undefined;
    this.s.dayStartEquity = this.s.lastEquity;
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;
