// predict: feature rows → the same rows plus the model's probability and version, and the model's full id as
// `model`; scored one batch per chunk.
import type { OperatorFunction } from "rxjs";
import { chunkOperator, type Chunk } from "../core/chunk.ts";
import type { StateSpec } from "../core/state.ts";
import type { ModelSlot } from "../models/modelSlot.ts";
import type { ServingModel } from "../models/servingModel.ts";
import type { FeatureRow } from "../schemas/features.ts";

export interface PredictOptions {
  /** Where the serving model comes from (installed by the deployment watcher, read once per chunk). */
  readonly slot: ModelSlot;
  /** Feature name for the probability. Default "p_up". */
  readonly output?: string;
  /** Feature name for the model version number. Default "model.version". */
  readonly versionField?: string;
  /** Called for a row whose output is NaN/±Inf; the row passes through unscored. */
  readonly onNonFinite?: (row: FeatureRow, reason: string) => void;
}

/**
 * The declared state of predict: the position in the node's row sequence, which decides the model of each row
 * (installs take effect at a row position, see ModelSlot). The model is not state: it is configuration the
 * deployment installs into the slot (again at the start of a resumed run, or scheduled at its recorded rows).
 */
export interface PredictState {
  /** Rows the slot had handed out (ModelSlot.rowsSeen) after the last chunk. */
  rows: number;
}

const PREDICT_STATE: StateSpec<PredictState> = { name: "predict", version: 1, init: () => ({ rows: 0 }) };

/**
 * Scores each chunk's complete rows in one call of the slot's model and adds `<output>` and `<versionField>`.
 * Rows missing one of the model's features (indicator warm-up), and every row while no model is installed, pass
 * through unchanged. Each row depends only on itself and the model, so the output does not depend on chunking.
 * The row position lives in the operator's declared state (`PredictState`): a resumed run moves a fresh slot to it,
 * applying the installs scheduled up to there, so every later row is scored by the version it would have been.
 *
 * @example rows$.pipe(predict({ slot })) // { ..., values: { ..., p_up: 0.61, "model.version": 3 } }
 * @param options.slot the injected model handle
 */
export function predict(options: PredictOptions): OperatorFunction<Chunk<FeatureRow>, Chunk<FeatureRow>> {
  const output = options.output ?? "p_up";
  const versionField = options.versionField ?? "model.version";
  const { slot } = options;
  /** Scores `rows` (one stretch of the row sequence served by one model) into `out`. */
  const scoreRun = (rows: readonly FeatureRow[], model: ServingModel | undefined, out: FeatureRow[]): void => {
    if (model === undefined) {
      slot.counters.noModel += rows.length;
      for (const row of rows) out.push(row);
      return;
    }
    const names = model.featureNames;
    const f = names.length;
    const complete: number[] = [];
    const X = new Float64Array(rows.length * f);
    rows.forEach((row, i) => {
      const k = complete.length;
      for (let j = 0; j < f; j++) {
        const x = row.values[names[j]!];
        if (x === undefined || !Number.isFinite(x)) return;
        X[k * f + j] = x;
      }
      complete.push(i);
    });
    const p = complete.length > 0 ? model.score(X.subarray(0, complete.length * f), complete.length) : new Float64Array(0);
    let next = 0;
    rows.forEach((row, i) => {
      if (complete[next] !== i) {
        slot.counters.warmUp++;
        out.push(row);
        return;
      }
      const prob = p[next++]!;
      if (!Number.isFinite(prob)) {
        slot.counters.nonFinite++;
        options.onNonFinite?.(row, `model ${model.id} gave ${prob} for this row; passed through unscored`);
        out.push(row);
        return;
      }
      slot.counters.scored++;
      out.push({
        id: row.id,
        symbol: row.symbol,
        tsEvent: row.tsEvent,
        ...(row.timeframe !== undefined ? { timeframe: row.timeframe } : {}),
        values: withPrediction(row.values, output, prob, versionField, model.version),
        model: model.id,
      });
    });
  };
  return chunkOperator<FeatureRow, FeatureRow, PredictState>((state) => {
    // A restored state is ahead of a fresh slot: skip it to the saved position (scheduled installs up to there apply).
    slot.advanceTo(state.rows);
    return {
      onItems(rows, out) {
        // Live: one model for the whole chunk (installs land between chunks). Replay: a recorded install may fall
        // inside a chunk, at the row position where it took effect live.
        for (let start = 0; start < rows.length; ) {
          const { model, count } = slot.take(rows.length - start);
          scoreRun(start === 0 && count === rows.length ? rows : rows.slice(start, start + count), model, out);
          start += count;
        }
        state.rows = slot.rowsSeen;
      },
    };
  }, PREDICT_STATE);
}

/** A copy of `values` plus the two outputs. A key-by-key copy: spreading rows' dictionary-mode value objects was ~5x slower. */
function withPrediction(values: Readonly<Record<string, number>>, output: string, p: number, versionField: string, version: number): Record<string, number> {
  const v: Record<string, number> = {};
  for (const k in values) v[k] = values[k]!;
  v[output] = p;
  v[versionField] = version;
  return v;
}
