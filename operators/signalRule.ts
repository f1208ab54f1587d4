// signalRule: the shared shape of rule operators — feature rows → signals, with per-symbol "emit on change"
// state and ids derived from the input. A concrete rule supplies only its decision (and, if it remembers
// something between rows, its own declared state).
import type { OperatorFunction } from "rxjs";
import { chunkOperator, type Chunk } from "../core/chunk.ts";
import type { StateSpec } from "../core/state.ts";
import type { FeatureRow } from "../schemas/features.ts";
import type { Signal } from "../schemas/signal.ts";

export type SignalAction = Signal["action"];

/** What a rule decided for one row; undefined: the row cannot be judged yet (warm-up). */
export interface Decision {
  readonly action: SignalAction;
  readonly strength: number;
  readonly reason: string;
  readonly inputs: Signal["inputs"];
  readonly modelVersion?: string;
}

export interface SignalRuleOptions {
  readonly pipeline: string;
  /** Node id, part of every signal id. */
  readonly node: string;
  /** "change": emit only when a symbol's action changes (a first "flat" is not emitted); "every": every decided row. */
  readonly emit: "change" | "every";
}

/** What a rule operator remembers: each symbol's last decided action ("change" mode), and the rule's own state. */
interface SignalRuleState<S> {
  readonly last: Map<string, SignalAction>;
  readonly rule: S;
}

/**
 * Builds a rule operator from a decision function. The per-symbol last action ("change" mode) is declared state,
 * so a checkpointed run resumes it. A decision that remembers something between rows (hysteresis, a count) must
 * not keep it in a closure: it declares it (`state`: an object of plain data, or save/load for one that is not;
 * see core/state.ts), gets it as a second argument and mutates its fields; the operator's checkpoint then carries
 * it under the rule's state name and version (default: "signalRule", version 1).
 *
 * @example
 * rows$.pipe(signalRule({ pipeline: "p", node: "sig", emit: "change" }, (row) =>
 *   row.values.rsi === undefined ? undefined : { action: row.values.rsi < 30 ? "buy" : "flat", strength: 1, reason: "rsi", inputs: {} }))
 * // a rule with state: how many rows each symbol has seen
 * rows$.pipe(signalRule({ pipeline: "p", node: "sig", emit: "every" }, (row, s) => {
 *   const n = (s.seen.get(row.symbol) ?? 0) + 1;
 *   s.seen.set(row.symbol, n);
 *   return n < 10 ? undefined : { action: "flat", strength: 0, reason: `row ${n}`, inputs: {} };
 * }, { name: "warmedRule", version: 1, init: () => ({ seen: new Map<string, number>() }) }))
 * @param o pipeline and node (for signal ids) and the emit mode
 * @param decide the decision for one row; undefined: the row cannot be judged yet (warm-up)
 * @param state the decision's own state, when it has one
 */
export function signalRule(o: SignalRuleOptions, decide: (row: FeatureRow) => Decision | undefined): OperatorFunction<Chunk<FeatureRow>, Chunk<Signal>>;
export function signalRule<S>(
  o: SignalRuleOptions,
  decide: (row: FeatureRow, state: S) => Decision | undefined,
  state: StateSpec<S>,
): OperatorFunction<Chunk<FeatureRow>, Chunk<Signal>>;
export function signalRule<S>(
  o: SignalRuleOptions,
  decide: (row: FeatureRow, state: S) => Decision | undefined,
  rule?: StateSpec<S>,
): OperatorFunction<Chunk<FeatureRow>, Chunk<Signal>> {
  const spec: StateSpec<SignalRuleState<S>> = {
    name: rule?.name ?? "signalRule",
    version: rule?.version ?? 1,
    unsupported: rule?.unsupported,
    init: () => ({ last: new Map(), rule: rule ? rule.init() : (undefined as S) }),
    // The rule's part goes through its own save/load (plain data as it is when it has none).
    save: (s) => ({ last: s.last, rule: rule?.save ? rule.save(s.rule) : s.rule }),
    load: (d) => {
      const { last, rule: data } = d as { last: Map<string, SignalAction>; rule: unknown };
      return { last, rule: rule?.load ? rule.load(data) : (data as S) };
    },
  };
  return chunkOperator<FeatureRow, Signal, SignalRuleState<S>>(
    ({ last, rule: ruleState }) => ({
      onItems(rows, out) {
        for (const row of rows) {
          const d = decide(row, ruleState);
          if (d === undefined) continue;
          if (o.emit === "change") {
            const before = last.get(row.symbol);
            last.set(row.symbol, d.action);
            if (before === d.action || (before === undefined && d.action === "flat")) continue;
          }
          out.push({
            id: `${o.pipeline}:${o.node}:${row.symbol}:${row.tsEvent}`,
            pipeline: o.pipeline,
            symbol: row.symbol,
            tsEvent: row.tsEvent,
            action: d.action,
            strength: d.action === "flat" ? 0 : d.strength,
            reason: d.reason,
            inputs: d.inputs,
            ...(d.modelVersion !== undefined ? { modelVersion: d.modelVersion } : {}),
          });
        }
      },
    }),
    spec,
  );
}
