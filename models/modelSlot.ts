// The handle through which a running pipeline's `predict` operator sees the model it should score with. The
// deployment watcher (I/O, outside the operator) puts a loaded, checked model in; the operator reads it once per chunk.
import { checkFeatureOrder } from "./featureOrder.ts";
import type { ServingModel } from "./servingModel.ts";

/** Rows the operator handled, by outcome; for logs and tests (bounded: no per-model labels). */
export interface ModelSlotCounters {
  /** Rows that got a prediction. */
  scored: number;
  /** Rows passed through without one because a declared feature was missing (warm-up). */
  warmUp: number;
  /** Rows passed through because no model was deployed yet. */
  noModel: number;
  /** Rows passed through because the model's output was not finite (each also dead-lettered). */
  nonFinite: number;
}

/**
 * Holds the serving model of one `predict` node. `install` happens between two chunks by construction: the pipeline
 * processes a chunk synchronously, and the operator reads `current` once at the start of each chunk, so every row is
 * scored by exactly one version and the switch loses none.
 *
 * @example const slot = new ModelSlot(["ret", "rsi"]); slot.install(model); // next chunk is scored by `model`
 */
export class ModelSlot {
  private model: ServingModel | undefined;
  private installs = 0;
  readonly counters: ModelSlotCounters = { scored: 0, warmUp: 0, noModel: 0, nonFinite: 0 };

  /** @param featureNames the node's declared feature list; a model with another list is refused. Undefined: take the model's. */
  constructor(readonly featureNames?: readonly string[]) {}

  get current(): ServingModel | undefined {
    return this.model;
  }

  /** How many models were installed so far. */
  get generation(): number {
    return this.installs;
  }

  /** @throws FeatureMismatchError when the node declares a different feature list */
  install(model: ServingModel): void {
    if (this.featureNames !== undefined) checkFeatureOrder(model.id, model.featureNames, this.featureNames);
    this.model = model;
    this.installs++;
  }
}
