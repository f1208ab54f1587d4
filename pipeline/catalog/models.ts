// Model operators: `predict` (scores feature rows with the deployed model) and `probabilityRule` (probabilities →
// signals). The model reaches a predict node through a ModelSlot bound to the compiled pipeline before the run starts
// (see app/modelDeployment.ts); the operator itself does no I/O.
import { z } from "zod";
import type { CompiledNode, CompiledPipeline } from "../graph.ts";
import type { ModelSlot } from "../../models/modelSlot.ts";
import { predict } from "../../operators/predict.ts";
import { probabilityRule } from "../../operators/probabilityRule.ts";
import { def, featureName, type OperatorDef } from "../operatorDef.ts";

/** Key under which bindModelSlots puts a node's slot into its (already validated) parameters. */
const MODEL_SLOT: unique symbol = Symbol("tickflow.modelSlot");
/** The binding of a probabilityRule to the pipeline's model slots (`bindModelSlots`): version → full model id. */
const MODEL_IDS: unique symbol = Symbol("tickflow.modelIds");
type ModelIdOf = (version: number) => string | undefined;

const PredictParams = z.strictObject({
  features: z
    .array(featureName)
    .min(1)
    .optional()
    .describe("The model's feature list, in order; a deployed model with another list is refused. Default: the model's own."),
  as: featureName.default("p_up").describe("Feature name written with the probability."),
  versionAs: featureName.default("model.version").describe("Feature name written with the model version number."),
});
type PredictParams = z.infer<typeof PredictParams> & { [MODEL_SLOT]?: ModelSlot };

export const MODEL_OPERATORS: readonly OperatorDef<unknown>[] = [
  def<PredictParams, ["features"], "features">({
    name: "predict",
    summary: "Feature rows → the same rows plus P(up) and the model version, from the model deployed for this pipeline (one batch per chunk).",
    inputs: [{ name: "rows", kind: "features" }],
    output: "features",
    params: PredictParams,
    example: "{ op: predict, in: joined, params: { features: [ret, rsi, sentiment], as: p_up } }",
    fields: (p, [rows]) => rows && [...rows, p.as, p.versionAs],
    reads: (p) => (p.features ?? []).map((name, i) => ({ name, path: ["features", i] })),
    build:
      (p, ctx) =>
      ([rows]) => {
        const slot = p[MODEL_SLOT];
        if (slot === undefined) {
          throw new Error(
            `pipeline ${ctx.pipeline}: predict node "${ctx.node}" has no model slot; start the run through bindModelSlots (app/modelDeployment.ts) so deployments reach it`,
          );
        }
        return rows.pipe(predict({ slot, output: p.as, versionField: p.versionAs, onNonFinite: (row, reason) => ctx.deadLetter(row, reason, p.as) }));
      },
  }),
  def({
    name: "probabilityRule",
    summary: "Feature rows with a model probability → buy/sell/flat signals (thresholds, optional sentiment gate); each signal records the model version.",
    inputs: [{ name: "rows", kind: "features" }],
    output: "signal",
    params: z
      .strictObject({
        probability: featureName.default("p_up").describe("Feature holding the model's P(up) (predict's `as`)."),
        versionField: featureName.default("model.version").describe("Feature holding the model version (predict's `versionAs`)."),
        model: z
          .string()
          .min(1)
          .optional()
          .describe(
            "Signals record the full id of the model that scored the row; this name is used (`<model>-v<version>`) only when no model slot knows the version.",
          ),
        buyAbove: z.number().min(0).max(1).default(0.55).describe("Buy when the probability is at or above this."),
        sellBelow: z.number().min(0).max(1).default(0.45).describe("Sell when the probability is at or below this; must be below `buyAbove`."),
        sentiment: featureName.default("sentiment").describe("Feature holding the sentiment score (absent counts as 0), read when `sentimentGate` is set."),
        sentimentGate: z.number().min(0).max(1).optional().describe("Buy is vetoed when sentiment < -gate, sell when sentiment > gate. Default: no gate."),
        emit: z.enum(["change", "every"]).default("change").describe("change: only when a symbol's action changes; every: on every scored row."),
      })
      .refine((p) => p.sellBelow < p.buyAbove, { message: "sellBelow must be below buyAbove", path: ["sellBelow"] }),
    example: "{ op: probabilityRule, in: scored, params: { buyAbove: 0.55, sellBelow: 0.45, sentimentGate: 0.3 } }",
    reads: (p) => [{ name: p.probability, path: ["probability"] }],
    build:
      (p, ctx) =>
      ([rows]) =>
        rows.pipe(
          probabilityRule({
            ...p,
            pipeline: ctx.pipeline,
            node: ctx.node,
            modelIdOf: (p as { [MODEL_IDS]?: ModelIdOf })[MODEL_IDS],
          }),
        ),
  }),
];

/** The pipeline's predict nodes, in topological order. */
export function predictNodes(pipeline: CompiledPipeline): CompiledNode[] {
  return pipeline.nodes.filter((n) => n.op.name === "predict");
}

/** The feature list a predict node declares (undefined: it takes the model's). */
export function declaredFeatures(node: CompiledNode): readonly string[] | undefined {
  return (node.params as PredictParams).features;
}

/**
 * A copy of `pipeline` whose predict nodes score through the given slots (one per node). Bind once per run; the
 * slot is where the deployment watcher installs models.
 * @example const slots = new Map(predictNodes(p).map((n) => [n.name, new ModelSlot(declaredFeatures(n))]));
 *          const bound = bindModelSlots(p, slots);
 */
export function bindModelSlots(pipeline: CompiledPipeline, slots: ReadonlyMap<string, ModelSlot>): CompiledPipeline {
  // Signals name the model in full: the version on a row (unique within the pipeline) resolves to an installed model's id.
  const idOf: ModelIdOf = (version) => {
    for (const slot of slots.values()) {
      const m = slot.modelOfVersion(version);
      if (m) return m.id;
    }
    return undefined;
  };
  const nodes = pipeline.nodes.map((n) => {
    if (n.op.name === "probabilityRule") return { ...n, params: { ...(n.params as object), [MODEL_IDS]: idOf } };
    if (n.op.name !== "predict") return n;
    const slot = slots.get(n.name);
    if (slot === undefined) throw new Error(`bindModelSlots: no slot for predict node "${n.name}" of pipeline ${pipeline.decl.name}`);
    return { ...n, params: { ...(n.params as PredictParams), [MODEL_SLOT]: slot } };
  });
  return { ...pipeline, nodes };
}
