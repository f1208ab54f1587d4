// A user-written operator, as a user would write one in their own repository: feature rows → mean-reversion
// signals from a rolling z-score, with hysteresis. The hysteresis is state (the action each symbol holds): it is
// declared to signalRule, never kept in a closure, so a crashed run resumes it. pipelines/mean-reversion.yaml
// names it by path.
import { z } from "zod";
import { defineOperator, featureName, signalRule, type SignalAction } from "tickflow";

const Params = z
  .strictObject({
    z: featureName.default("z").describe("the z-score feature to read (an `indicators` entry with name zscore)"),
    entry: z.number().positive().default(2).describe("buy when z <= -entry, sell when z >= entry"),
    exit: z.number().min(0).default(0.5).describe("go flat when |z| <= exit; between exit and entry the last action holds"),
    emit: z.enum(["change", "every"]).default("change").describe("change: only when a symbol's action changes; every: every decided row"),
  })
  .refine((p) => p.exit < p.entry, { message: "exit must be below entry", path: ["exit"] });

export default defineOperator({
  name: "meanReversionRule",
  summary: "Feature rows → buy below -entry σ, sell above +entry σ, flat inside ±exit σ (hysteresis between).",
  inputs: [{ name: "rows", kind: "features" }],
  output: "signal",
  params: Params,
  example: "{ op: ../examples/operators/meanReversionRule.ts, in: indicators, params: { z: z, entry: 2, exit: 0.5 } }",
  build:
    (p, ctx) =>
    ([rows]) =>
      rows.pipe(
        signalRule(
          { pipeline: ctx.pipeline, node: ctx.node, emit: p.emit },
          (row, state) => {
            const zv = row.values[p.z];
            if (zv === undefined) return undefined; // warm-up
            const before = state.holding.get(row.symbol) ?? "flat";
            const action: SignalAction = zv <= -p.entry ? "buy" : zv >= p.entry ? "sell" : Math.abs(zv) <= p.exit ? "flat" : before;
            state.holding.set(row.symbol, action);
            return {
              action,
              strength: Math.min(1, Math.abs(zv) / (2 * p.entry)),
              reason: `${p.z} ${zv.toFixed(2)} (entry ±${p.entry}, exit ±${p.exit})`,
              inputs: { [p.z]: zv, close: row.values.close ?? 0 },
            };
          },
          // What the rule remembers between rows, declared instead of kept in a closure: the action each symbol
          // holds. Plain data (a Map), so a checkpointed run saves it and a resumed run continues from it; each
          // subscription (each run, each replay) gets a fresh one from init. Bump the version if its shape changes.
          { name: "meanReversionRule", version: 1, init: () => ({ holding: new Map<string, SignalAction>() }) },
        ),
      ),
});
