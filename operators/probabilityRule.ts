// probabilityRule: feature rows carrying a model probability → buy/sell/flat signals, optionally gated by sentiment;
// each signal records the model version that produced the probability.
import type { OperatorFunction } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import { signalRule, type SignalAction } from "./signalRule.ts";
import type { FeatureRow } from "../schemas/features.ts";
import type { Signal } from "../schemas/signal.ts";

export interface ProbabilityRuleOptions {
  readonly pipeline: string;
  /** Node id, part of every signal id. */
  readonly node: string;
  /** Feature holding P(up). */
  readonly probability: string;
  /** Feature holding the model version number (written by `predict`). */
  readonly versionField: string;
  /** Model name: signals record `<model>-v<version>`; without it, `v<version>`. Used when `modelIdOf` does not know the version. */
  readonly model?: string;
  /** The full id of the model with this version (the pipeline's model slots): what signals record. */
  readonly modelIdOf?: (version: number) => string | undefined;
  /** Buy when p >= buyAbove. */
  readonly buyAbove: number;
  /** Sell when p <= sellBelow. */
  readonly sellBelow: number;
  /** Sentiment feature; missing counts as 0. */
  readonly sentiment: string;
  /** When set, buy is vetoed when sentiment < -gate and sell when sentiment > gate. */
  readonly sentimentGate?: number;
  /** "change": emit only when a symbol's action changes; "every": emit on every scored row. */
  readonly emit: "change" | "every";
}

/**
 * Buy when p ≥ buyAbove, sell when p ≤ sellBelow, else flat (hold no position); strength is |p − ½|·2. Rows without a probability
 * (warm-up, no model deployed) emit nothing. The decision is pure; the only state is signalRule's declared
 * per-symbol last action ("change" mode).
 *
 * @example rows$.pipe(probabilityRule({ pipeline: "p", node: "signals", probability: "p_up", versionField: "model.version",
 *   buyAbove: 0.55, sellBelow: 0.45, sentiment: "sentiment", sentimentGate: 0.3, emit: "change" }))
 */
export function probabilityRule(o: ProbabilityRuleOptions): OperatorFunction<Chunk<FeatureRow>, Chunk<Signal>> {
  if (!(o.sellBelow < o.buyAbove)) throw new Error(`probabilityRule: sellBelow (${o.sellBelow}) must be below buyAbove (${o.buyAbove})`);
  return signalRule(o, (row) => {
    const v = row.values;
    const p = v[o.probability];
    if (p === undefined) return undefined;
    const version = v[o.versionField];
    const sentiment = v[o.sentiment] ?? 0;
    const gate = o.sentimentGate;
    let action: SignalAction = "flat";
    let reason: string;
    if (p >= o.buyAbove && (gate === undefined || sentiment >= -gate)) {
      action = "buy";
      reason = `${o.probability} ${fmt(p)} >= ${o.buyAbove}${gate === undefined ? "" : `, ${o.sentiment} ${fmt(sentiment)} >= ${-gate}`}`;
    } else if (p <= o.sellBelow && (gate === undefined || sentiment <= gate)) {
      action = "sell";
      reason = `${o.probability} ${fmt(p)} <= ${o.sellBelow}${gate === undefined ? "" : `, ${o.sentiment} ${fmt(sentiment)} <= ${gate}`}`;
    } else {
      reason = `hold no position (no entry holds): ${o.probability} ${fmt(p)} between ${o.sellBelow} and ${o.buyAbove}${gate === undefined ? "" : ` or vetoed by ${o.sentiment} ${fmt(sentiment)}`}`;
    }
    // The scoring model's full id, carried by the row from predict; rows rebuilt on the way (a join) lose it: then the
    // pipeline's slots name the version.
    const modelVersion =
      row.model ?? (version === undefined ? undefined : (o.modelIdOf?.(version) ?? (o.model !== undefined ? `${o.model}-v${version}` : `v${version}`)));
    return {
      action,
      strength: Math.min(1, Math.abs(p - 0.5) * 2),
      reason,
      inputs: { [o.probability]: p, [o.sentiment]: sentiment, close: v.close ?? null },
      ...(modelVersion !== undefined ? { modelVersion } : {}),
    };
  });
}

const fmt = (x: number): string => x.toPrecision(4);
