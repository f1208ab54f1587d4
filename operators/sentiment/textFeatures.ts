// Turns a headline into the hashed sparse feature vector the trained sentiment classifier reads. Pure, and specified
// closely enough (FNV-1a 32-bit over UTF-8, fixed token classes) that another language can reproduce it bit for bit.
import type { SparseRow } from "../../models/softmaxRegression.ts";
import { createTextScorer, type TextScorer } from "./scoreText.ts";

/** What the featurizer extracts; stored with a model so serving uses exactly what training used. */
export interface TextFeatureSpec {
  /** Hash buckets (a power of two): the length of the feature vector. */
  readonly buckets: number;
  /** Word n-grams up to this length (1: words; 2: words and bigrams). */
  readonly wordNgrams: number;
  /** Character n-gram lengths [min, max] inside each word padded with spaces, or null for none. */
  readonly charNgrams: readonly [number, number] | null;
  /** Weight of the character n-gram block (normalised on its own) relative to the word block. */
  readonly charWeight: number;
  /** Weight of the finance lexicon's outputs (score split into positive and negative part, and its label); 0 for none. */
  readonly lexiconWeight: number;
}

/**
 * Lower-cased word tokens with classes for what varies without carrying sentiment: URLs → `<url>`, cashtags
 * (`$AAPL`) → `<cashtag>`, percentages → `<pct>` (`<pct+>` / `<pct->` with an explicit sign), other numbers → `<num>`.
 *
 * @example textTokens("$TSLA up 5% https://t.co/x") // ["<cashtag>", "up", "<pct>", "<url>"]
 */
export function textTokens(text: string): string[] {
  const lower = text.toLowerCase().replace(/[’‘]/g, "'");
  const out: string[] = [];
  for (const m of lower.matchAll(TOKEN)) {
    const t = m[0];
    if (m[1] !== undefined) out.push("<url>");
    else if (m[2] !== undefined) out.push("<cashtag>");
    else if (m[3] !== undefined) out.push(t.startsWith("+") ? "<pct+>" : t.startsWith("-") ? "<pct->" : "<pct>");
    else if (m[4] !== undefined) out.push("<num>");
    else out.push(t.endsWith("'s") ? t.slice(0, -2) : t);
  }
  return out;
}

const TOKEN =
  /(https?:\/\/\S+|www\.\S+)|(\$[a-z][a-z0-9._-]*)|([+-]?\$?\d[\d,]*(?:\.\d+)?\s?(?:%|percent\b|pct\b))|([+-]?\$?\d[\d,]*(?:\.\d+)?[kmb]?\b)|[a-z]+(?:'[a-z]+)*/g;

/** FNV-1a 32-bit hash of a string's UTF-8 bytes (offset basis 2166136261, prime 16777619). */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return fnv1a32Bytes(ENCODER.encode(s)); // names are nearly always ASCII: skip the encoder then
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

function fnv1a32Bytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const byte of bytes) h = Math.imul(h ^ byte, 0x01000193);
  return h >>> 0;
}

const ENCODER = new TextEncoder();

/** A prepared featurizer: `features(text)` gives the sorted bucket indexes and their values. */
export interface TextFeaturizer {
  readonly spec: TextFeatureSpec;
  features(text: string): SparseRow;
  /** The named features before hashing (for inspection and tests): name → value. */
  named(text: string): Map<string, number>;
}

/**
 * Prepares a featurizer. Text features are counted, scaled by log(1 + count) and L2-normalised; the lexicon
 * features (`lex:pos`, `lex:neg`, `lex:<label>`) are added after, times `lexiconWeight`. Each name is hashed with
 * FNV-1a to `hash mod buckets`; names that collide add up.
 *
 * @example createTextFeaturizer(SENTIMENT_FEATURES_V1).features("Acme beats estimates")
 */
export function createTextFeaturizer(spec: TextFeatureSpec): TextFeaturizer {
  const { buckets } = spec;
  if (!(Number.isInteger(buckets) && buckets >= 2 && (buckets & (buckets - 1)) === 0)) {
    throw new RangeError(`textFeatures: buckets must be a power of two >= 2, got ${buckets}`);
  }
  const lexicon: TextScorer | undefined = spec.lexiconWeight > 0 ? createTextScorer() : undefined;
  const named = (text: string): Map<string, number> => {
    const counts = new Map<string, number>();
    const add = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
    const tokens = textTokens(text);
    for (const t of tokens) add(`w:${t}`);
    for (let n = 2; n <= spec.wordNgrams; n++) {
      const padded = ["<s>", ...tokens, "</s>"];
      for (let i = 0; i + n <= padded.length; i++) add(`w${n}:${padded.slice(i, i + n).join(" ")}`);
    }
    normalise(counts, 1);
    if (spec.charNgrams) {
      const chars = new Map<string, number>();
      const [lo, hi] = spec.charNgrams;
      for (const t of tokens) {
        if (t.startsWith("<")) continue;
        const w = ` ${t} `;
        for (let n = lo; n <= hi; n++)
          for (let i = 0; i + n <= w.length; i++) chars.set(`c:${w.slice(i, i + n)}`, (chars.get(`c:${w.slice(i, i + n)}`) ?? 0) + 1);
      }
      normalise(chars, spec.charWeight);
      for (const [k, v] of chars) counts.set(k, v);
    }
    if (lexicon) {
      const s = lexicon.score(text);
      const w = spec.lexiconWeight;
      if (s.score > 0) counts.set("lex:pos", w * s.score);
      if (s.score < 0) counts.set("lex:neg", -w * s.score);
      counts.set(`lex:${s.label}`, w);
    }
    return counts;
  };
  return {
    spec,
    named,
    features(text: string): SparseRow {
      const byBucket = new Map<number, number>();
      for (const [name, v] of named(text)) {
        const b = fnv1a32(name) & (buckets - 1);
        byBucket.set(b, (byBucket.get(b) ?? 0) + v);
      }
      const indices = Int32Array.from(byBucket.keys()).sort();
      const values = new Float64Array(indices.length);
      for (let i = 0; i < indices.length; i++) values[i] = byBucket.get(indices[i]!)!;
      return { indices, values };
    },
  };
}

/** log(1 + count), then scaled to Euclidean length `length`. */
function normalise(counts: Map<string, number>, length: number): void {
  let norm = 0;
  for (const [k, c] of counts) {
    const v = Math.log1p(c);
    counts.set(k, v);
    norm += v * v;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (const [k, v] of counts) counts.set(k, (length * v) / norm);
}
