// signalRule: the shared shape of rule operators — feature rows → signals, with per-symbol "emit on change"
// state and ids derived from the input. A concrete rule supplies only its decision.
import type { OperatorFunction } from "rxjs";
import { chunkOperator, type Chunk } from "../core/chunk.ts";
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

/**
 * Builds a rule operator from a pure decision function.
 *
 * @example
 * rows$.pipe(signalRule({ pipeline: "p", node: "sig", emit: "change" }, (row) =>
 *   row.values.rsi === undefined ? undefined : { action: row.values.rsi < 30 ? "buy" : "flat", strength: 1, reason: "rsi", inputs: {} }))
 */
export function signalRule(o: SignalRuleOptions, decide: (row: FeatureRow) => Decision | undefined): OperatorFunction<Chunk<FeatureRow>, Chunk<Signal>> {
  return chunkOperator<FeatureRow, Signal>(() => {
    const last = new Map<string, SignalAction>();
    return {
      onItems(rows, out) {
        for (const row of rows) {
          const d = decide(row);
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
    };
  });
}
