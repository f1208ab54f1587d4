// Strategy rules as data: crossovers, thresholds on named values, model probability thresholds, all/any/not.
// A rule set reads one indicator row (named numbers) per bar and says which side to be on: +1, 0 or -1.
import { z } from "zod";
import { SizingSchema } from "./sizing.ts";
import { TickflowError } from "../core/errors.ts";

/** A value name from the indicator row (e.g. "close", "sma15", "rsi14") or a constant. */
export type Operand = string | number;

export type Condition =
  | { readonly crossAbove: readonly [Operand, Operand] }
  | { readonly crossBelow: readonly [Operand, Operand] }
  | { readonly above: readonly [Operand, Operand] }
  | { readonly below: readonly [Operand, Operand] }
  | { readonly when: string }
  | { readonly probability: string; readonly above?: number; readonly below?: number }
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition };

const NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const COMPARISON = /^\s*(\S+)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$/;
const OperandSchema = z.union([z.number().finite(), z.string().regex(NAME, "must be a value name like close, sma15 or rsi14 (letters, digits, _ and .)")]);
const pair = z.tuple([OperandSchema, OperandSchema], { error: "must be a pair [a, b] of value names or numbers" });

const parseOperand = (s: string): Operand | undefined => (NAME.test(s) ? s : Number.isFinite(Number(s)) ? Number(s) : undefined);

export const ConditionSchema: z.ZodType<Condition> = z
  .lazy(
    () =>
      z.union(
        [
          z.object({ crossAbove: pair }).strict().describe("a rises above b on this bar: a <= b on the previous bar, a > b now"),
          z.object({ crossBelow: pair }).strict().describe("a falls below b on this bar: a >= b on the previous bar, a < b now"),
          z.object({ above: pair }).strict().describe("a > b on this bar"),
          z.object({ below: pair }).strict().describe("a < b on this bar"),
          z
            .object({
              when: z.string().refine((s) => {
                const m = COMPARISON.exec(s);
                return m !== null && parseOperand(m[1]!) !== undefined && parseOperand(m[3]!) !== undefined;
              }, 'must be a comparison like "rsi14 < 30" or "close >= sma20" (operators < <= > >= == !=)'),
            })
            .strict()
            .describe('a comparison of two values (or a value and a number) on this bar, e.g. "rsi14 < 30"; operators < <= > >= == !='),
          z
            .object({
              probability: z.string().regex(NAME, "must name the row value holding the model probability"),
              above: z.number().min(0).max(1).optional(),
              below: z.number().min(0).max(1).optional(),
            })
            .strict()
            .refine((p) => p.above !== undefined || p.below !== undefined, "probability needs `above` and/or `below` (in [0, 1])")
            .describe("the named model probability is above `above` and/or below `below` (each in [0, 1])"),
          z
            .object({ all: z.array(ConditionSchema).min(1) })
            .strict()
            .describe("every listed condition holds"),
          z
            .object({ any: z.array(ConditionSchema).min(1) })
            .strict()
            .describe("at least one listed condition holds"),
          z.object({ not: ConditionSchema }).strict().describe("the condition does not hold"),
        ],
        { error: "must be one of crossAbove, crossBelow, above, below, when, probability, all, any, not" },
      ),
    // The id names the (recursive) type in JSON Schema, so the reference shows "condition" rather than its expansion.
  )
  .meta({ id: "condition" });

export const StrategyRulesSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, "must be a name without spaces or ':' (it is part of order ids)")
      .describe("strategy name, the prefix of its order ids"),
    direction: z
      .enum(["long_only", "long_short"])
      .default("long_only")
      .describe("long_only: enterLong/exitLong; long_short: also enterShort (required) and exitShort"),
    enterLong: ConditionSchema.describe("go long when it holds (from flat, or reversing a short)"),
    exitLong: ConditionSchema.optional().describe("go flat from long when it holds; required for long_only"),
    enterShort: ConditionSchema.optional().describe("go short when it holds (from flat, or reversing a long); long_short only"),
    exitShort: ConditionSchema.optional().describe("go flat from short when it holds"),
    sizing: SizingSchema.describe("units of a position: fixed_units, fixed_notional, percent_equity or volatility_target"),
    price: z.string().regex(NAME).default("close").describe("row value used as the price for sizing"),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.direction === "long_only" && !r.exitLong)
      ctx.addIssue({ code: "custom", path: ["exitLong"], message: "is required for a long_only strategy (otherwise it never exits)" });
    if (r.direction === "long_only" && (r.enterShort || r.exitShort))
      ctx.addIssue({
        code: "custom",
        path: [r.enterShort ? "enterShort" : "exitShort"],
        message: 'is not allowed when direction is "long_only"; use "long_short"',
      });
    if (r.direction === "long_short" && !r.enterShort)
      ctx.addIssue({ code: "custom", path: ["enterShort"], message: 'is required when direction is "long_short"' });
  });
export type StrategyRules = z.infer<typeof StrategyRulesSchema>;

export class StrategyRulesError extends TickflowError {
  static override readonly code = "STRATEGY_RULES_INVALID";
  override readonly name = "StrategyRulesError";
  constructor(
    readonly source: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${source}: ${path ? `${path}: ` : ""}${reason}`);
  }
}

/** Validates a rule declaration; throws StrategyRulesError naming where (`source`, e.g. the pipeline file) and the path. */
export function parseStrategyRules(input: unknown, source = "strategy rules"): StrategyRules {
  const r = StrategyRulesSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = deepestIssue(r.error.issues);
  throw new StrategyRulesError(source, issue.path.map(String).join("."), issue.message);
}

type Issue = { path: PropertyKey[]; message: string; errors?: Issue[][] };
/** For a union, report the branch that got furthest instead of "invalid input". */
function deepestIssue(issues: readonly Issue[]): Issue {
  const first = issues[0]!;
  if (!first.errors) return first;
  const branches = first.errors.filter((b) => b.length > 0).map((b) => deepestIssue(b));
  const best = branches.filter((b) => b.path.length > 0 || !b.message.startsWith("Unrecognized key")).sort((a, b) => b.path.length - a.path.length)[0];
  return best ? { ...best, path: [...first.path, ...best.path] } : first;
}

/** One bar's named values. Missing or NaN values make the conditions that use them false. */
export type Row = Readonly<Record<string, number | undefined>>;
type Compiled = (cur: Row, prev: Row | undefined) => boolean;

const operandValue = (o: Operand, row: Row): number => (typeof o === "number" ? o : (row[o] ?? NaN));
const OPS: Record<string, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

export function compileCondition(c: Condition): Compiled {
  if ("crossAbove" in c || "crossBelow" in c) {
    const up = "crossAbove" in c;
    const [a, b] = up ? c.crossAbove : (c as { crossBelow: readonly [Operand, Operand] }).crossBelow;
    return (cur, prev) => {
      if (!prev) return false;
      const a0 = operandValue(a, prev),
        b0 = operandValue(b, prev),
        a1 = operandValue(a, cur),
        b1 = operandValue(b, cur);
      return up ? a0 <= b0 && a1 > b1 : a0 >= b0 && a1 < b1; // NaN compares false: no cross during warm-up
    };
  }
  if ("above" in c && Array.isArray(c.above)) {
    const [a, b] = c.above as readonly [Operand, Operand];
    return (cur) => operandValue(a, cur) > operandValue(b, cur);
  }
  if ("below" in c && Array.isArray(c.below)) {
    const [a, b] = c.below as readonly [Operand, Operand];
    return (cur) => operandValue(a, cur) < operandValue(b, cur);
  }
  if ("when" in c) {
    const m = COMPARISON.exec(c.when)!;
    const a = parseOperand(m[1]!)!,
      op = OPS[m[2]!]!,
      b = parseOperand(m[3]!)!;
    return (cur) => op(operandValue(a, cur), operandValue(b, cur));
  }
  if ("probability" in c) {
    const { probability: key, above, below } = c;
    return (cur) => {
      const p = operandValue(key, cur);
      return (above === undefined || p > above) && (below === undefined || p < below);
    };
  }
  if ("all" in c) {
    const parts = c.all.map(compileCondition);
    return (cur, prev) => parts.every((f) => f(cur, prev));
  }
  if ("any" in c) {
    const parts = c.any.map(compileCondition);
    return (cur, prev) => parts.some((f) => f(cur, prev));
  }
  const inner = compileCondition((c as { not: Condition }).not);
  return (cur, prev) => !inner(cur, prev);
}

export type Side = -1 | 0 | 1;

/** What a RuleEvaluator remembers per symbol: the previous row (for crossings) and the side it is on. Plain data. */
export type RuleEvaluatorState = Record<string, { prev: Row; side: Side }>;

/**
 * Evaluates a rule set bar by bar, per symbol. Only the current and previous rows are seen, and rows arrive in
 * event order, so a decision at bar t uses nothing after t.
 */
export class RuleEvaluator {
  private readonly enterLong: Compiled;
  private readonly exitLong: Compiled | undefined;
  private readonly enterShort: Compiled | undefined;
  private readonly exitShort: Compiled | undefined;
  private state: RuleEvaluatorState = {};

  constructor(readonly rules: StrategyRules) {
    this.enterLong = compileCondition(rules.enterLong);
    this.exitLong = rules.exitLong && compileCondition(rules.exitLong);
    this.enterShort = rules.direction === "long_short" && rules.enterShort ? compileCondition(rules.enterShort) : undefined;
    this.exitShort = rules.exitShort && compileCondition(rules.exitShort);
  }

  /** A copy of what it remembers (plain data). */
  toState(): RuleEvaluatorState {
    return structuredClone(this.state);
  }
  /** Continues from what `toState()` returned. */
  fromState(s: RuleEvaluatorState): void {
    this.state = structuredClone(s);
  }

  /** The side wanted after this row: entering, holding, exiting (0) or reversing. */
  next(symbol: string, row: Row): Side {
    const st = this.state[symbol];
    const prev = st?.prev;
    let side: Side = st?.side ?? 0;
    if (side === 0) {
      if (this.enterLong(row, prev)) side = 1;
      else if (this.enterShort?.(row, prev)) side = -1;
    } else if (side === 1) {
      if (this.enterShort?.(row, prev)) side = -1;
      else if (this.exitLong?.(row, prev)) side = 0;
    } else {
      if (this.enterLong(row, prev)) side = 1;
      else if (this.exitShort?.(row, prev)) side = 0;
    }
    this.state[symbol] = { prev: row, side };
    return side;
  }
}
