// momentumRule: feature rows → buy/sell/flat signals from an EMA trend, an RSI filter and a sentiment gate.
import type { OperatorFunction } from "rxjs";
import type { Chunk } from "../core/chunk.ts";
import { signalRule, type SignalAction } from "./signalRule.ts";
import type { FeatureRow } from "../schemas/features.ts";
import type { Signal } from "../schemas/signal.ts";

export interface MomentumRuleOptions {
  readonly pipeline: string;
  /** Node id, part of every signal id. */
  readonly node: string;
  /** Feature names read from each row. */
  readonly fast: string;
  readonly slow: string;
  readonly rsi: string;
  readonly sentiment: string;
  /** Buy needs RSI below this; sell needs RSI above `oversold`. */
  readonly overbought: number;
  readonly oversold: number;
  /** Buy is vetoed when sentiment < -gate; sell when sentiment > gate. */
  readonly sentimentGate: number;
  /** "change": emit only when a symbol's action changes; "every": emit on every row. */
  readonly emit: "change" | "every";
}

/**
 * Trend-following rule with filters. Buy: fast > slow, rsi < overbought and sentiment ≥ -gate.
 * Sell: fast < slow, rsi > oversold and sentiment ≤ gate. Otherwise flat: hold no position (neither entry holds), not "no opinion". Rows still in warm-up
 * (any of fast, slow, rsi missing) emit nothing. Missing sentiment counts as 0. The decision is pure; the only
 * state is signalRule's declared per-symbol last action ("change" mode).
 *
 * @example
 * features$.pipe(momentumRule({ pipeline: "p", node: "signals", fast: "emaFast", slow: "emaSlow", rsi: "rsi",
 *   sentiment: "sentiment", overbought: 70, oversold: 30, sentimentGate: 0.3, emit: "change" }))
 */
export function momentumRule(o: MomentumRuleOptions): OperatorFunction<Chunk<FeatureRow>, Chunk<Signal>> {
  return signalRule(o, (row) => {
    const v = row.values;
    const fast = v[o.fast];
    const slow = v[o.slow];
    const rsi = v[o.rsi];
    if (fast === undefined || slow === undefined || rsi === undefined) return undefined;
    const sentiment = v[o.sentiment] ?? 0;
    const trend = `${o.fast} ${fmt(fast)} ${fast > slow ? ">" : fast < slow ? "<" : "="} ${o.slow} ${fmt(slow)}`;
    let action: SignalAction = "flat";
    let reason: string;
    if (fast > slow && rsi < o.overbought && sentiment >= -o.sentimentGate) {
      action = "buy";
      reason = `${trend}, ${o.rsi} ${fmt(rsi)} < ${o.overbought}, ${o.sentiment} ${fmt(sentiment)} >= ${-o.sentimentGate}`;
    } else if (fast < slow && rsi > o.oversold && sentiment <= o.sentimentGate) {
      action = "sell";
      reason = `${trend}, ${o.rsi} ${fmt(rsi)} > ${o.oversold}, ${o.sentiment} ${fmt(sentiment)} <= ${o.sentimentGate}`;
    } else {
      reason = `hold no position (no entry holds): ${trend}, ${o.rsi} ${fmt(rsi)}, ${o.sentiment} ${fmt(sentiment)}`;
    }
    const spread = slow !== 0 ? Math.abs(fast - slow) / Math.abs(slow) : 0;
    return {
      action,
      strength: Math.min(1, spread * 100),
      reason,
      inputs: { [o.fast]: fast, [o.slow]: slow, [o.rsi]: rsi, [o.sentiment]: sentiment, close: v.close ?? null },
    };
  });
}

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(2) : x.toPrecision(4));
