// Strategy, broker and portfolio operators (issue 5). A broker node (paperBroker on feature rows with inline
// rules, or signalBroker on signals) emits `brokerEvent` items; the selectors orders / fills / positions /
// equity / orderEvents split them into the message kinds that sinks publish and record. A broker node's PaperBroker
// and strategy are its declared operator state (operators/paperBroker.ts), so a checkpointed run resumes exactly.
import { z } from "zod";
import type { BrokerEvent } from "../../schemas/brokerEvent.ts";
import type { Kind } from "../../schemas/kinds.ts";
import { ruleBroker, type RuleBrokerOptions } from "../../operators/ruleBroker.ts";
import { selectBrokerEvents } from "../../operators/selectBrokerEvents.ts";
import { signalBroker, signalStrategyRules, type SignalBrokerOptions } from "../../operators/signalBroker.ts";
import { FillPolicySchema } from "../../trading/fillPolicy.ts";
import { CommissionSchema, InstrumentSchema } from "../../trading/instrument.ts";
import type { PaperBrokerConfig } from "../../trading/PaperBroker.ts";
import { RiskLimitsSchema } from "../../trading/RiskGuard.ts";
import { SizingSchema } from "../../trading/sizing.ts";
import { parseStrategyRules, RuleEvaluator, ruleOperands } from "../../trading/strategyRules.ts";
import { def, type OperatorDef } from "../operatorDef.ts";

/** Parameters every broker node takes: the account, the one named fill policy, costs and risk limits. */
const brokerParams = {
  account: z.string().min(1).default("paper").describe("Account name on snapshots and kill-switch events."),
  startingCash: z.number().positive().describe("Cash the account starts with, in account currency."),
  policy: FillPolicySchema.describe("The fill policy object (trading/fillPolicy.ts); live paper trading and replay use the same one."),
  commission: CommissionSchema.partial().optional().describe("Commission of symbols not listed in `instruments`. Default none."),
  instruments: z.array(InstrumentSchema).default([]).describe("Instruments with a multiplier, tick/lot size, margin or their own commission."),
  risk: RiskLimitsSchema.default({}).describe("Pre-trade risk limits and the daily-loss kill switch (default: none)."),
  accountType: z
    .enum(["cash", "margin"])
    .default("margin")
    .describe(
      "cash: no short sales, a buy needs the cash for its notional and commission; margin: gross exposure up to `leverage` × equity. Rejections say why.",
    ),
  leverage: z
    .number()
    .positive()
    .max(100)
    .optional()
    .describe("Margin accounts: buying power = leverage × equity. Default 2 (Reg T); refused on a cash account."),
  snapshots: z
    .enum(["every_event", "on_fill"])
    .default("every_event")
    .describe("every_event: a position and equity snapshot after each bar; on_fill: only after fills."),
};

type BrokerParams = z.infer<z.ZodObject<typeof brokerParams>>;

function brokerConfig(p: BrokerParams): PaperBrokerConfig {
  return {
    account: p.account,
    startingCash: p.startingCash,
    policy: p.policy,
    defaultCommission: p.commission,
    instruments: p.instruments,
    risk: p.risk,
    accountType: { type: p.accountType, ...(p.leverage !== undefined ? { leverage: p.leverage } : {}) },
    snapshots: p.snapshots,
  };
}

function selector(name: string, output: Kind, type: BrokerEvent["type"], summary: string): OperatorDef<unknown> {
  return def({
    name,
    summary,
    inputs: [{ name: "events", kind: "brokerEvent" }],
    output,
    params: z.strictObject({}),
    example: `{ op: ${name}, in: broker }`,
    build:
      () =>
      ([events]) =>
        events.pipe(selectBrokerEvents(type)),
  });
}

export const TRADING_OPERATORS: readonly OperatorDef<unknown>[] = [
  def({
    name: "paperBroker",
    summary: "Bars × feature rows → broker events: inline strategy rules decide on each row; a PaperBroker fills, marks and risk-checks.",
    inputs: [
      { name: "bars", kind: "bar" },
      { name: "rows", kind: "features" },
    ],
    output: "brokerEvent",
    params: z.strictObject({
      ...brokerParams,
      strategy: z
        .record(z.string(), z.unknown())
        .describe(
          "Strategy rules as data (trading/strategyRules.ts; docs/reference.md#strategy-rules): name, direction, enterLong/exitLong/enterShort/exitShort, sizing, price.",
        ),
    }),
    example:
      "{ op: paperBroker, in: [bars, indicators], params: { startingCash: 100000, policy: { name: next-open-5bps, slippage: { bps: 5 } }, strategy: { name: sma, direction: long_short, enterLong: { crossAbove: [close, sma] }, enterShort: { crossBelow: [close, sma] }, sizing: { kind: fixed_units, units: 100 } } } }",
    reads: (p) => ruleOperands(parseStrategyRules(p.strategy, "strategy")).map((r) => ({ name: r.name, path: ["strategy", ...r.path] })),
    build: (p, ctx) => {
      if (p.accountType === "cash" && p.leverage !== undefined) throw new Error("leverage applies to margin accounts only; a cash account buys with its cash");
      const rules = parseStrategyRules(p.strategy, "strategy");
      new RuleEvaluator(rules); // compiles the conditions now, so a bad rule fails at load
      const options: RuleBrokerOptions = {
        broker: brokerConfig(p),
        rules,
        onLate: (item, reason) => ctx.deadLetter(item, reason, "tsEvent"),
        onNoBar: (row, reason) => ctx.deadLetter(row, reason, "symbol"),
      };
      return ([bars, rows]) => ruleBroker(bars, rows, options);
    },
  }),
  def({
    name: "signalBroker",
    summary: "Bars × signals → broker events: buy/sell/flat signals become target positions sized by the rule; a PaperBroker fills them.",
    inputs: [
      { name: "bars", kind: "bar" },
      { name: "signals", kind: "signal" },
    ],
    output: "brokerEvent",
    params: z.strictObject({
      ...brokerParams,
      strategy: z
        .strictObject({
          name: z
            .string()
            .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must be a name of letters, digits, '_' or '-'")
            .describe("Strategy name: the prefix of order ids."),
          direction: z.enum(["long_only", "long_short"]).default("long_only").describe("long_only: sell means flat; long_short: sell means short."),
          sizing: SizingSchema.describe("How many units a position is: `{ kind: fixed_units | fixed_notional | percent_equity | volatility_target, ... }`."),
          price: z.string().default("close").describe("Row value used as the price for sizing (the latest bar's fields and the signal's numeric inputs)."),
          closeAtEnd: z
            .enum(["open", "close"])
            .optional()
            .describe("At the end of the input, close open positions at the last bar's open or close (default: leave them open)."),
        })
        .describe("How signals become target positions: buy → long, sell → short (long_short) or flat, flat → flat."),
    }),
    example:
      "{ op: signalBroker, in: [bars, signals], params: { startingCash: 100000, policy: { name: next-open }, strategy: { name: momentum, direction: long_only, sizing: { kind: percent_equity, percent: 20 } } } }",
    build: (p, ctx) => {
      if (p.accountType === "cash" && p.leverage !== undefined) throw new Error("leverage applies to margin accounts only; a cash account buys with its cash");
      const options: SignalBrokerOptions = {
        broker: brokerConfig(p),
        rules: signalStrategyRules(p.strategy),
        onLate: (item, reason) => ctx.deadLetter(item, reason, "tsEvent"),
        onNoBar: (signal, reason) => ctx.deadLetter(signal, reason, "symbol"),
      };
      return ([bars, signals]) => signalBroker(bars, signals, options);
    },
  }),
  selector(
    "orders",
    "order",
    "order",
    "Broker events → order states (accepted, rejected with its reason, filled, cancelled, ...); publish on orders.<SYMBOL>.",
  ),
  selector("fills", "fill", "fill", "Broker events → fills; publish on fills.<SYMBOL>."),
  selector("positions", "position", "position", "Broker events → position snapshots (record with a duckdb sink)."),
  selector("equity", "equity", "equity", "Broker events → account equity snapshots (record with a duckdb sink; replay prints statistics from them)."),
  selector("orderEvents", "orderEvent", "orderEvent", "Broker events → kill-switch tripped/reset events; publish on orders.events.<ACCOUNT>."),
];
