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
          z
            .object({ crossAbove: pair })
            .strict()
            .describe("a rises above b on this bar (as the strategy's `crossover` defines it; default: a <= b on the previous bar, a > b now)"),
          z
            .object({ crossBelow: pair })
            .strict()
            .describe("a falls below b on this bar (as the strategy's `crossover` defines it; default: a >= b on the previous bar, a < b now)"),
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
    crossover: z
      .enum(["inclusive", "strict", "last_nonzero"])
      .default("inclusive")
      .describe(
        "what crossAbove/crossBelow mean. inclusive: a <= b on the previous bar, a > b now; strict: a < b before, a > b now (backtesting.py's crossover); last_nonzero: the last non-zero a - b before was negative, a > b now (backtrader's CrossOver)",
      ),
    reentry: z
      .enum(["hold", "reopen"])
      .default("hold")
      .describe(
        "an enter rule that fires again on the side already held. hold: keep the position; reopen: close it and open a new one, sized afresh (backtesting.py's position.close(); buy() on every cross)",
      ),
    closeAtEnd: z
      .enum(["open", "close"])
      .optional()
      .describe(
        "at the end of the input (a replay's end), close every open position at the last bar's open or close, so the open trade counts in the statistics (backtesting.py's finalize_trades); default: leave them open",
      ),
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
  static override readonly refusal = true;
  override readonly name = "StrategyRulesError";
  /** The path as a dotted string (e.g. "enterLong.crossAbove"). */
  readonly path: string;
  constructor(
    readonly source: string,
    /** The path into the rules, segment by segment (a pipeline load error points at it). */
    readonly segments: readonly (string | number)[],
    readonly reason: string,
  ) {
    const path = segments.map(String).join(".");
    super(`${source}: ${path ? `${path}: ` : ""}${reason}`);
    this.path = path;
  }
}

/** Validates a rule declaration; throws StrategyRulesError naming where (`source`, e.g. the pipeline file) and the path. */
export function parseStrategyRules(input: unknown, source = "strategy rules"): StrategyRules {
  const unknown = unknownKey(input);
  if (unknown) throw new StrategyRulesError(source, unknown.path, unknown.reason);
  const r = StrategyRulesSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = deepestIssue(r.error.issues);
  throw new StrategyRulesError(
    source,
    issue.path.map((p) => (typeof p === "number" ? p : String(p))),
    issue.message,
  );
}

const RULE_KEYS = Object.keys(StrategyRulesSchema.shape);
const CONDITION_KEYS = ["crossAbove", "crossBelow", "above", "below", "when", "probability", "all", "any", "not"];
const SIZING_KEYS: Record<string, readonly string[]> = Object.fromEntries(
  SizingSchema.options.map((o) => [String(o.shape.kind.value), Object.keys(o.shape)] as const),
);

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}
const suggestion = (key: string, known: readonly string[]): string => {
  const best = known.map((k) => [k, distance(key, k)] as const).sort((x, y) => x[1] - y[1])[0];
  return best && best[1] <= Math.max(2, Math.floor(key.length / 3)) ? ` (did you mean ${best[0]}?)` : "";
};

/**
 * A key that is not part of the rules language, named as written with the nearest valid one: zod's union
 * would report the branch that got furthest, i.e. another key.
 */
function unknownKey(input: unknown): { path: (string | number)[]; reason: string } | undefined {
  if (!isObject(input)) return undefined;
  for (const k of Object.keys(input)) {
    if (!RULE_KEYS.includes(k)) return { path: [k], reason: `unknown key "${k}"${suggestion(k, RULE_KEYS)}; valid keys: ${RULE_KEYS.join(", ")}` };
  }
  for (const k of ["enterLong", "exitLong", "enterShort", "exitShort"]) {
    const found = conditionUnknownKey(input[k], [k]);
    if (found) return found;
  }
  const sizing = input.sizing;
  if (isObject(sizing) && typeof sizing.kind === "string" && SIZING_KEYS[sizing.kind]) {
    const known = SIZING_KEYS[sizing.kind]!;
    for (const k of Object.keys(sizing)) {
      if (!known.includes(k))
        return { path: ["sizing", k], reason: `unknown key "${k}" for sizing kind ${sizing.kind}${suggestion(k, known)}; valid keys: ${known.join(", ")}` };
    }
  }
  return undefined;
}

function conditionUnknownKey(c: unknown, path: (string | number)[]): { path: (string | number)[]; reason: string } | undefined {
  if (!isObject(c)) return undefined;
  const keys = Object.keys(c);
  const head = keys.find((k) => CONDITION_KEYS.includes(k));
  const allowed = head === "probability" ? ["probability", "above", "below"] : head ? [head] : [];
  for (const k of keys) {
    if (allowed.includes(k)) continue;
    const known = head ? allowed : CONDITION_KEYS;
    return {
      path: [...path, k],
      reason: head
        ? `unknown key "${k}" beside ${head}${suggestion(k, known)}; a condition has one of: ${CONDITION_KEYS.join(", ")}`
        : `unknown condition "${k}"${suggestion(k, known)}; a condition is one of: ${CONDITION_KEYS.join(", ")}`,
    };
  }
  if (head === "all" || head === "any") {
    const list = c[head];
    if (Array.isArray(list)) {
      for (let i = 0; i < list.length; i++) {
        const found = conditionUnknownKey(list[i], [...path, head, i]);
        if (found) return found;
      }
    }
  }
  if (head === "not") return conditionUnknownKey(c.not, [...path, "not"]);
  return undefined;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

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
/** A compiled condition: the row, the previous row, and whether each of the rule set's crossings happened on it. */
type Compiled = (cur: Row, prev: Row | undefined, crossed: readonly boolean[]) => boolean;

/** One crossAbove/crossBelow of a rule set: evaluated on every row (last_nonzero remembers between rows). */
interface Crossing {
  readonly a: Operand;
  readonly b: Operand;
  readonly up: boolean;
}
export type CrossoverDefinition = "inclusive" | "strict" | "last_nonzero";

/**
 * Whether a crossing happened on `cur` under the definition. `nz` is the last finite non-zero a − b before
 * this row (null: none yet), used by last_nonzero. NaN operands (warm-up) never cross.
 */
export function crossed(def: CrossoverDefinition, x: Crossing, cur: Row, prev: Row | undefined, nz: number | null): boolean {
  const a1 = operandValue(x.a, cur);
  const b1 = operandValue(x.b, cur);
  const now = x.up ? a1 > b1 : a1 < b1;
  if (!now) return false;
  if (def === "last_nonzero") return nz !== null && (x.up ? nz < 0 : nz > 0);
  if (!prev) return false;
  const a0 = operandValue(x.a, prev);
  const b0 = operandValue(x.b, prev);
  if (def === "strict") return x.up ? a0 < b0 : a0 > b0;
  return x.up ? a0 <= b0 : a0 >= b0;
}

const operandValue = (o: Operand, row: Row): number => (typeof o === "number" ? o : (row[o] ?? NaN));
const OPS: Record<string, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

/** Compiles a condition; its crossings are appended to `crossings`, and the compiled form reads their results by index. */
export function compileCondition(c: Condition, crossings: Crossing[] = []): Compiled {
  if ("crossAbove" in c || "crossBelow" in c) {
    const up = "crossAbove" in c;
    const [a, b] = up ? c.crossAbove : (c as { crossBelow: readonly [Operand, Operand] }).crossBelow;
    const i = crossings.push({ a, b, up }) - 1;
    return (_cur, _prev, x) => x[i]!;
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
    const parts = c.all.map((p) => compileCondition(p, crossings));
    return (cur, prev, x) => parts.every((f) => f(cur, prev, x));
  }
  if ("any" in c) {
    const parts = c.any.map((p) => compileCondition(p, crossings));
    return (cur, prev, x) => parts.some((f) => f(cur, prev, x));
  }
  const inner = compileCondition((c as { not: Condition }).not, crossings);
  return (cur, prev, x) => !inner(cur, prev, x);
}

export type Side = -1 | 0 | 1;

/**
 * What a RuleEvaluator remembers per symbol: the previous row (for crossings), the side it is on, and (last_nonzero
 * crossovers) the last non-zero difference of each crossing, null while there is none. Plain data.
 */
export type RuleEvaluatorState = Record<string, { prev: Row; side: Side; nz?: (number | null)[] }>;

/**
 * Evaluates a rule set bar by bar, per symbol. Only the current and previous rows are seen, and rows arrive in
 * event order, so a decision at bar t uses nothing after t.
 */
export class RuleEvaluator {
  private readonly enterLong: Compiled;
  private readonly exitLong: Compiled | undefined;
  private readonly enterShort: Compiled | undefined;
  private readonly exitShort: Compiled | undefined;
  /** Whether the last `next` saw the held side's enter rule fire again (with reentry: reopen). */
  reentered = false;
  private readonly crossings: Crossing[] = [];
  private readonly crossover: CrossoverDefinition;
  private state: RuleEvaluatorState = {};

  constructor(readonly rules: StrategyRules) {
    const x = this.crossings;
    this.crossover = rules.crossover ?? "inclusive";
    this.enterLong = compileCondition(rules.enterLong, x);
    this.exitLong = rules.exitLong && compileCondition(rules.exitLong, x);
    this.enterShort = rules.direction === "long_short" && rules.enterShort ? compileCondition(rules.enterShort, x) : undefined;
    this.exitShort = rules.exitShort && compileCondition(rules.exitShort, x);
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
    // Every crossing is evaluated on every row, whichever rule is consulted, so last_nonzero's memory stays whole.
    const nz = this.crossover === "last_nonzero" ? (st?.nz ?? this.crossings.map(() => null)) : undefined;
    const x = this.crossings.map((c, i) => crossed(this.crossover, c, row, prev, nz?.[i] ?? null));
    if (nz) {
      this.crossings.forEach((c, i) => {
        const d = operandValue(c.a, row) - operandValue(c.b, row);
        if (Number.isFinite(d) && d !== 0) nz[i] = d;
      });
    }
    let side: Side = st?.side ?? 0;
    const reopen = this.rules.reentry === "reopen";
    this.reentered = false;
    if (side === 0) {
      if (this.enterLong(row, prev, x)) side = 1;
      else if (this.enterShort?.(row, prev, x)) side = -1;
    } else if (side === 1) {
      if (reopen && this.enterLong(row, prev, x)) this.reentered = true;
      else if (this.enterShort?.(row, prev, x)) side = -1;
      else if (this.exitLong?.(row, prev, x)) side = 0;
    } else {
      if (this.enterLong(row, prev, x)) side = 1;
      else if (reopen && this.enterShort?.(row, prev, x)) this.reentered = true;
      else if (this.exitShort?.(row, prev, x)) side = 0;
    }
    this.state[symbol] = nz ? { prev: row, side, nz } : { prev: row, side };
    return side;
  }
}

/** Every value name a rule set reads, with its path in the declaration (for the load-time check that it is produced). */
export function ruleOperands(r: StrategyRules): { name: string; path: (string | number)[] }[] {
  const out: { name: string; path: (string | number)[] }[] = [];
  const operand = (o: Operand, path: (string | number)[]): void => {
    if (typeof o === "string") out.push({ name: o, path });
  };
  const walk = (c: Condition, path: (string | number)[]): void => {
    for (const key of ["crossAbove", "crossBelow", "above", "below"] as const) {
      if (key in c && Array.isArray((c as Record<string, unknown>)[key])) {
        const [a, b] = (c as Record<string, readonly [Operand, Operand]>)[key]!;
        operand(a, [...path, key, 0]);
        operand(b, [...path, key, 1]);
        return;
      }
    }
    if ("when" in c) {
      const m = COMPARISON.exec(c.when)!;
      operand(parseOperand(m[1]!)!, [...path, "when"]);
      operand(parseOperand(m[3]!)!, [...path, "when"]);
    } else if ("probability" in c) operand(c.probability, [...path, "probability"]);
    else if ("all" in c) c.all.forEach((x, i) => walk(x, [...path, "all", i]));
    else if ("any" in c) c.any.forEach((x, i) => walk(x, [...path, "any", i]));
    else if ("not" in c) walk(c.not, [...path, "not"]);
  };
  for (const key of ["enterLong", "exitLong", "enterShort", "exitShort"] as const) {
    const c = r[key];
    if (c) walk(c, [key]);
  }
  operand(r.price, ["price"]);
  if (r.sizing.kind === "volatility_target") operand(r.sizing.volatility, ["sizing", "volatility"]);
  return out;
}
