// Scores one headline or sentence: AFINN-165 words plus the finance lexicon's phrases, direction × quantity rules,
// negation, intensifiers and percentages. Pure and deterministic.
import { afinnLabels, financeLexicon, type DirectionWord, type FinanceLexicon, type Quantity } from "./financeLexicon.ts";
import { tokenize, type Token } from "./tokenize.ts";
import type { SentimentHit, SentimentLabel, TextScore } from "./types.ts";

export interface ScoreTextOptions {
  /** Lexicon to use instead of `financeLexicon`. Default: `financeLexicon`. */
  lexicon?: FinanceLexicon;
  /**
   * |score| below this is "neutral". Default 0.2: with the default scale of 4 a text needs a raw weight above
   * about 0.8 — one mild word such as "gains" or "weak" — to leave neutral.
   */
  neutralBand?: number;
  /** score = tanh(raw / scale). Default 4: one strong rule (raw 3) gives 0.64, two give 0.91. */
  scale?: number;
  /** Words or phrases that carry no sentiment here, e.g. company names ("Best Buy", "Snap"). Default none. */
  neutralTerms?: readonly string[];
}

/** A prepared scorer: the lexicon compiled once, then `score(text)` per text. */
export interface TextScorer {
  score(text: string): TextScore;
}

export const DEFAULT_NEUTRAL_BAND = 0.2;
export const DEFAULT_SCALE = 4;

/** How far (in tokens) a direction word looks for its quantity, a negator reaches, and a modifier reaches. */
const QUANTITY_REACH = 4;
const NEGATION_REACH = 3;
const MODIFIER_REACH = 2;
/** A direction word's percentage: "rose 12%", "12% rise", "increased by 28%". */
const PCT_BEFORE = 3;
const PCT_AFTER = 4;

/** "profit rose 12%" weighs 1 + ln(1 + 12/10) ≈ 1.8 times "profit rose"; capped at 3×. */
export function percentScale(pct: number): number {
  return Math.min(3, 1 + Math.log1p(Math.abs(pct) / 10));
}

type Element = { kind: "words"; words: ReadonlySet<string> } | { kind: "gap"; max: number };
interface CompiledPhrase {
  elements: readonly Element[];
  weight: number;
}
interface Compiled {
  words: ReadonlyMap<string, number>;
  phrasesByFirst: ReadonlyMap<string, readonly CompiledPhrase[]>;
  negatorsByFirst: ReadonlyMap<string, readonly (readonly string[])[]>;
  directions: ReadonlyMap<string, DirectionWord>;
  quantities: ReadonlyMap<string, Quantity>;
  modifiers: ReadonlyMap<string, number>;
}

/**
 * Prepares a scorer. Prefer this to `scoreText` on a hot path with custom options.
 *
 * @example
 * const scorer = createTextScorer({ neutralTerms: ["Best Buy"] });
 * scorer.score("Best Buy profit rose 12%").label; // "positive"
 */
export function createTextScorer(options: ScoreTextOptions = {}): TextScorer {
  const band = options.neutralBand ?? DEFAULT_NEUTRAL_BAND;
  const scale = options.scale ?? DEFAULT_SCALE;
  if (!(band >= 0 && band < 1)) throw new RangeError(`scoreText: neutralBand must be in [0, 1), got ${band}`);
  if (!(scale > 0)) throw new RangeError(`scoreText: scale must be > 0, got ${scale}`);
  const compiled = compile(options.lexicon ?? financeLexicon, options.neutralTerms ?? []);
  return {
    score(text: string): TextScore {
      const hits = scoreTokens(tokenize(text), compiled);
      const raw = hits.reduce((sum, h) => sum + h.weight, 0);
      const score = Math.tanh(raw / scale);
      return { score, label: labelOf(score, band), raw, hits };
    },
  };
}

let defaultScorer: TextScorer | undefined;

/**
 * Scores a headline or sentence in [-1, 1] with a positive / negative / neutral label.
 *
 * @example
 * scoreText("Acme profit rose 12%"); // { score: 0.47, label: "positive", raw: 2.04, hits: [...] }
 * scoreText("Acme did not beat estimates").label; // "negative"
 * @param text the headline or sentence
 * @param options lexicon, neutral band, scale, neutral terms; omitted options use a shared compiled default
 */
export function scoreText(text: string, options?: ScoreTextOptions): TextScore {
  if (options === undefined) {
    defaultScorer ??= createTextScorer();
    return defaultScorer.score(text);
  }
  return createTextScorer(options).score(text);
}

export function labelOf(score: number, neutralBand = DEFAULT_NEUTRAL_BAND): SentimentLabel {
  if (score > neutralBand) return "positive";
  if (score < -neutralBand) return "negative";
  return "neutral";
}

function compile(lexicon: FinanceLexicon, neutralTerms: readonly string[]): Compiled {
  const words = new Map(afinnLabels());
  for (const [w, weight] of Object.entries(lexicon.words)) words.set(w, weight);
  const phrasesByFirst = new Map<string, CompiledPhrase[]>();
  const add = (pattern: string, weight: number) => {
    const elements: Element[] = pattern
      .trim()
      .split(/\s+/)
      .map((part) =>
        part.startsWith("*")
          ? { kind: "gap", max: Number(part.slice(1)) }
          : { kind: "words", words: new Set(part.split("|").flatMap((w) => tokenize(w).map((t) => t.text))) },
      );
    const first = elements[0];
    if (first === undefined || first.kind !== "words") throw new Error(`financeLexicon: phrase "${pattern}" must start with words`);
    for (const w of first.words) {
      const list = phrasesByFirst.get(w) ?? [];
      list.push({ elements, weight });
      phrasesByFirst.set(w, list);
    }
  };
  // Neutral terms first, so "Best Buy" is masked before anything else reads "best".
  for (const term of neutralTerms) {
    const toks = tokenize(term)
      .filter((t) => !t.boundary)
      .map((t) => t.text);
    if (toks.length > 0) add(toks.join(" "), 0);
  }
  for (const p of lexicon.phrases) add(p.pattern, p.weight);
  const negatorsByFirst = new Map<string, string[][]>();
  for (const neg of lexicon.negators) {
    const toks = tokenize(neg).map((t) => t.text);
    const list = negatorsByFirst.get(toks[0]!) ?? [];
    list.push(toks);
    list.sort((a, b) => b.length - a.length);
    negatorsByFirst.set(toks[0]!, list);
  }
  return {
    words,
    phrasesByFirst,
    negatorsByFirst,
    directions: new Map(Object.entries(lexicon.directions)),
    quantities: new Map(Object.entries(lexicon.quantities)),
    modifiers: new Map(Object.entries(lexicon.modifiers)),
  };
}

interface Span {
  start: number;
  end: number; // inclusive
  weight: number;
  term: string;
}

function scoreTokens(tokens: readonly Token[], c: Compiled): SentimentHit[] {
  const n = tokens.length;
  const clause = new Int32Array(n);
  for (let i = 0, k = 0; i < n; i++) {
    if (tokens[i]!.boundary) k++;
    clause[i] = k;
  }
  const used = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (tokens[i]!.boundary) used[i] = 1;
  const spans: Span[] = [];
  const text = (i: number) => tokens[i]!.text;

  // 1. Phrases, longest match first at each position.
  for (let i = 0; i < n; i++) {
    if (used[i]) continue;
    let best: { end: number; taken: number[]; weight: number } | undefined;
    for (const p of c.phrasesByFirst.get(text(i)) ?? []) {
      const taken = matchPhrase(p.elements, tokens, used, clause, i);
      if (taken && (best === undefined || taken[taken.length - 1]! > best.end)) {
        best = { end: taken[taken.length - 1]!, taken, weight: p.weight };
      }
    }
    if (best) {
      for (const j of best.taken) used[j] = 1;
      if (best.weight !== 0) {
        spans.push({ start: i, end: best.end, weight: best.weight, term: best.taken.map(text).join(" ") });
      }
      i = best.end;
    }
  }

  // 2. Negators: remember where each ends; they are not scored as words ("no" is -1 in AFINN).
  const negatorEnds: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const neg of c.negatorsByFirst.get(text(i)) ?? []) {
      if (neg.every((w, k) => i + k < n && !used[i + k] && text(i + k) === w)) {
        for (let k = 0; k < neg.length; k++) used[i + k] = 1;
        negatorEnds.push(i + neg.length - 1);
        break;
      }
    }
  }

  // 3. Direction × quantity: "profit rose 12%", "cuts guidance", "growth slows", "Intel plunges".
  const { directions, quantities } = c;
  for (let i = 0; i < n; i++) {
    if (used[i]) continue;
    let dir: DirectionWord | undefined = directions.get(text(i));
    if ((text(i) === "up" || text(i) === "down") && tokens[i + 1]?.pct !== undefined) {
      dir = { sign: text(i) === "up" ? 1 : -1, strength: 2, standalone: true, transitive: false };
    }
    if (dir === undefined) continue;
    let q: { at: number; quantity: Quantity } | undefined;
    const quantityAt = (j: number) => (j >= 0 && j < n && !used[j] && clause[j] === clause[i] ? quantities.get(text(j)) : undefined);
    const sides = dir.transitive ? [1, -1] : [-1, 1];
    for (const side of sides) {
      for (let d = 1; d <= QUANTITY_REACH && q === undefined; d++) {
        const quantity = quantityAt(i + side * d);
        if (quantity) q = { at: i + side * d, quantity };
      }
      if (q) break;
    }
    // Compound nouns take their sense from the head ("price target" → target) unless the head defers to the
    // word before it ("unemployment rate" → unemployment, "cost growth" → costs).
    let modifierAt = -1;
    if (q) {
      const after = q.at + 1 !== i ? quantityAt(q.at + 1) : undefined;
      const before = q.at - 1 !== i ? quantityAt(q.at - 1) : undefined;
      if (after) {
        modifierAt = q.at + 1;
        if (!after.defers) q = { at: q.at, quantity: after };
      } else if (before && q.quantity.defers) {
        modifierAt = q.at - 1;
        q = { at: q.at, quantity: before };
      }
    }
    if (q === undefined && !dir.standalone) continue;
    let pctAt = -1;
    for (let j = Math.max(0, i - PCT_BEFORE); j <= Math.min(n - 1, i + PCT_AFTER); j++) {
      if (!used[j] && j !== i && tokens[j]!.pct !== undefined && clause[j] === clause[i]) {
        if (pctAt < 0 || Math.abs(j - i) < Math.abs(pctAt - i)) pctAt = j;
      }
    }
    const scale = pctAt >= 0 ? percentScale(tokens[pctAt]!.pct!) : 1;
    const polarity = q ? q.quantity.polarity * (q.quantity.weight ?? 1) : 1;
    const members = [i, ...(q ? [q.at] : []), ...(modifierAt >= 0 ? [modifierAt] : []), ...(pctAt >= 0 ? [pctAt] : [])].sort((a, b) => a - b);
    for (const j of members) used[j] = 1;
    spans.push({
      start: members[0]!,
      end: members[members.length - 1]!,
      weight: dir.sign * dir.strength * polarity * scale,
      term: members.map(text).join(" "),
    });
  }

  // 4. Single words: the finance overrides, then AFINN.
  const modifierAt: number[] = [];
  for (let i = 0; i < n; i++) {
    if (used[i]) continue;
    if (c.modifiers.has(text(i))) {
      modifierAt.push(i);
      continue;
    }
    const w = c.words.get(text(i));
    if (w !== undefined && w !== 0) spans.push({ start: i, end: i, weight: w, term: text(i) });
  }

  // 5. Negation flips what starts within reach after a negator in the same clause.
  for (const s of spans) {
    if (negatorEnds.some((e) => e < s.start && s.start - e <= NEGATION_REACH && clause[e] === clause[s.start])) {
      s.weight = -s.weight;
      s.term = `not ${s.term}`;
    }
  }

  // 6. Intensifiers and diminishers scale the nearest hit in reach ("fell sharply", "well above").
  for (const m of modifierAt) {
    let best: Span | undefined;
    let bestDist = Infinity;
    for (const s of spans) {
      if (clause[s.start] !== clause[m]) continue;
      const dist = m < s.start ? s.start - m : m > s.end ? m - s.end : 0;
      if (dist <= MODIFIER_REACH && dist < bestDist) {
        best = s;
        bestDist = dist;
      }
    }
    if (best) {
      best.weight *= c.modifiers.get(text(m))!;
      best.term = m < best.start ? `${text(m)} ${best.term}` : `${best.term} ${text(m)}`;
    }
  }

  spans.sort((a, b) => a.start - b.start);
  return spans.map((s) => ({ term: s.term, weight: s.weight }));
}

/** Returns the token indexes a phrase takes when it matches at `start`, or undefined. */
function matchPhrase(elements: readonly Element[], tokens: readonly Token[], used: Uint8Array, clause: Int32Array, start: number): number[] | undefined {
  const go = (e: number, at: number, taken: number[]): number[] | undefined => {
    if (e === elements.length) return taken;
    const el = elements[e]!;
    if (el.kind === "gap") {
      for (let skip = 0; skip <= el.max; skip++) {
        const j = at + skip;
        if (j >= tokens.length || clause[j] !== clause[start]) break;
        const r = go(e + 1, j, taken);
        if (r) return r;
      }
      return undefined;
    }
    if (at >= tokens.length || used[at] || clause[at] !== clause[start] || !el.words.has(tokens[at]!.text)) return undefined;
    return go(e + 1, at + 1, [...taken, at]);
  };
  return go(0, start, []);
}
