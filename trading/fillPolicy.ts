// FillPolicy: the one named, serialisable object that says how orders fill. Live paper trading and backtests take
// the same policy, so a paper run and a replay of the same data fill identically.
import { z } from "zod";

export const SlippageSchema = z.union([
  z.object({ bps: z.number().nonnegative().describe("basis points of price, against the order") }).strict(),
  z
    .object({
      ticks: z.number().nonnegative().describe("ticks of price, against the order"),
      tickSize: z.number().positive().optional().describe("default: the instrument's tickSize"),
    })
    .strict(),
]);
export type Slippage = z.infer<typeof SlippageSchema>;

export const FillPolicySchema = z
  .object({
    name: z.string().min(1).describe("recorded on every fill"),
    onBars: z
      .enum(["next_open", "signal_close"])
      .default("next_open")
      .describe("market orders fill at the next bar's open, or at the close of the bar that produced the signal"),
    slippage: SlippageSchema.default({ bps: 0 }).describe("applied against taker fills (market, stop, marketable limit at a gap); never past the bar's range"),
    latencyNs: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe("integer ns (a number, so the policy stays JSON); on trades: an order submitted at t fills on the first trade at or after t + latencyNs"),
    participation: z
      .number()
      .gt(0)
      .lte(1)
      .optional()
      .describe("max fraction of a bar's (or trade's) volume one order may take; the rest stays working (partial fills)"),
    gapRule: z.literal(true).default(true).describe("limit/stop orders crossed at the open fill at the open, not at their price"),
    sessionOffsetNs: z
      .number()
      .int()
      .default(0)
      .describe("a trading day is floor((t - offset) / 1 day): DAY orders expire at its end, daily loss resets at its start"),
  })
  .strict();
export type FillPolicy = z.infer<typeof FillPolicySchema>;
export type FillPolicyInput = z.input<typeof FillPolicySchema>;

/** Validates a policy declaration; throws a readable error naming the field. */
export function fillPolicy(input: FillPolicyInput): FillPolicy {
  const r = FillPolicySchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`fill policy "${String((input as { name?: unknown }).name ?? "?")}": field "${i.path.join(".")}" ${i.message}`);
  }
  return r.data;
}

/** The usual backtest convention: next bar's open, no slippage, no volume limit. */
export const NEXT_OPEN: FillPolicy = fillPolicy({ name: "next_open" });

const DAY_NS = 86_400_000_000_000n;
/** Index of the trading day containing `ts` under this policy's session offset. */
export const sessionDay = (policy: FillPolicy, ts: bigint): bigint => {
  const t = ts - BigInt(policy.sessionOffsetNs);
  return t >= 0n ? t / DAY_NS : -((-t + DAY_NS - 1n) / DAY_NS);
};

/** Moves `price` against the order by the policy's slippage (buy pays more, sell receives less). */
export function slipped(policy: FillPolicy, price: number, side: "buy" | "sell", tickSize: number): number {
  const s = policy.slippage;
  const delta = "bps" in s ? (price * s.bps) / 10_000 : s.ticks * (s.tickSize ?? tickSize);
  return side === "buy" ? price + delta : Math.max(price - delta, Number.MIN_VALUE);
}
