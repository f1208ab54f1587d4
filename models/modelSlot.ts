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

/** A model taking effect at a position of the node's row sequence: rows `row`, `row + 1`, ... are scored by it. */
export interface ModelInstall {
  readonly row: number;
  readonly model: ServingModel;
}

/**
 * Holds the serving model of one `predict` node. A live `install` happens between two chunks by construction: the
 * pipeline processes a chunk synchronously and the operator takes its rows through `take`, so every row is scored
 * by exactly one version and the switch loses none. Each install is recorded by the position in the node's row
 * sequence where it took effect (`installs`); a replay schedules the same positions (`scheduleAt`), and since the
 * row sequence does not depend on batching, every row is scored by the same version as live.
 *
 * @example const slot = new ModelSlot(["ret", "rsi"]); slot.install(model); // next chunk is scored by `model`
 */
export class ModelSlot {
  private model: ServingModel | undefined;
  private generationCount = 0;
  private rows = 0;
  private readonly history: ModelInstall[] = [];
  private readonly scheduled: ModelInstall[] = [];
  /** The model installed last, until it scores its first row. */
  private unserved: ServingModel | undefined;
  /** Where each install first scored a row, since the last `drainServed`. */
  private readonly served: ModelInstall[] = [];
  readonly counters: ModelSlotCounters = { scored: 0, warmUp: 0, noModel: 0, nonFinite: 0 };

  /** @param featureNames the node's declared feature list; a model with another list is refused. Undefined: take the model's. */
  constructor(readonly featureNames?: readonly string[]) {}

  get current(): ServingModel | undefined {
    return this.model;
  }

  /** How many models were installed so far. */
  get generation(): number {
    return this.generationCount;
  }

  /** Rows the node has handed over so far (the position the next install takes effect at). */
  get rowsSeen(): number {
    return this.rows;
  }

  /** Every install that took effect, in order, with its row position. */
  get installs(): readonly ModelInstall[] {
    return this.history;
  }

  /** The installed model with this version, newest first (versions are unique within a pipeline: models/registry.ts). */
  modelOfVersion(version: number): ServingModel | undefined {
    for (let i = this.history.length - 1; i >= 0; i--) if (this.history[i]!.model.version === version) return this.history[i]!.model;
    return undefined;
  }

  /** Installs `model` for the rows from now on. @throws FeatureMismatchError when the node declares a different feature list */
  install(model: ServingModel): ModelInstall {
    if (this.featureNames !== undefined) checkFeatureOrder(model.id, model.featureNames, this.featureNames);
    this.model = model;
    this.unserved = model;
    this.generationCount++;
    const at = { row: this.rows, model };
    this.history.push(at);
    return at;
  }

  /** Replay: `model` takes effect at row `row` of the node's row sequence (as recorded live). Rows must not decrease. */
  scheduleAt(row: number, model: ServingModel): void {
    const last = this.scheduled.at(-1);
    if (last !== undefined && row < last.row) throw new Error(`model installs must be scheduled in row order (${row} after ${last.row})`);
    if (this.featureNames !== undefined) checkFeatureOrder(model.id, model.featureNames, this.featureNames);
    this.scheduled.push({ row, model });
  }

  /** The model for the next rows and how many of the next `max` rows it scores (at least 1); advances the position. */
  take(max: number): { model: ServingModel | undefined; count: number } {
    while (this.scheduled.length && this.scheduled[0]!.row <= this.rows) this.install(this.scheduled.shift()!.model);
    const next = this.scheduled[0];
    const count = next === undefined ? max : Math.max(1, Math.min(max, next.row - this.rows));
    if (this.unserved !== undefined) {
      this.served.push({ row: this.rows, model: this.unserved });
      this.unserved = undefined;
    }
    this.rows += count;
    return { model: this.model, count };
  }

  /**
   * A resumed run continues at row `rows` of the node's sequence (its checkpoint): the position moves there without
   * scoring, scheduled installs up to it apply, and a model installed before the restore first serves at `rows`.
   */
  advanceTo(rows: number): void {
    while (this.scheduled.length && this.scheduled[0]!.row <= rows) {
      const next = this.scheduled.shift()!;
      this.rows = Math.max(this.rows, next.row);
      this.install(next.model);
    }
    if (rows > this.rows) this.rows = rows;
  }

  /**
   * The installs that scored rows since the last call, each with the first row it scored: what a live run records
   * (in the transaction of the batch that scored them), so that an install recorded is one that served, at the row
   * it served from, also across a restart.
   */
  drainServed(): ModelInstall[] {
    return this.served.splice(0);
  }
}
