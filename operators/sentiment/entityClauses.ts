// Which part of a headline is about which company: "Apple beats estimates while Microsoft misses" is good news for
// AAPL and bad news for MSFT, so each named company is scored on the clauses that name it, not on the whole line.
import type { Mention } from "./linkEntities.ts";

/** Clause boundaries: semicolons, a dash or comma before a contrast, and contrast or sequence conjunctions. */
const BOUNDARY = /\s*;\s*|\s+[-–—]\s+|,?\s+(?:while|whereas|but|as|though|although|yet|even as|after|before|despite|amid|meanwhile)\s+|,\s+(?=[A-Z$])/gi;

/** The [start, end) spans of a text's clauses. */
function clauses(text: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start = 0;
  for (const m of text.matchAll(BOUNDARY)) {
    if (m.index! > start) out.push({ start, end: m.index! });
    start = m.index! + m[0].length;
  }
  if (start < text.length) out.push({ start, end: text.length });
  return out;
}

const WORD = /[A-Za-z][A-Za-z'’-]*|\d[\d.,%]*/g;

/**
 * Per symbol, the text of the clauses that name it, when the text names two or more symbols in different clauses;
 * undefined when one reading fits all (a single symbol, or every symbol in the same clauses). A clause that holds
 * only names ("Apple, Microsoft and Google fall": "Apple" alone) joins the clause after it, so a list of companies
 * sharing one verb shares its score.
 *
 * @example entityTexts("Apple beats estimates while Microsoft misses", mentions)
 *   // Map { AAPL => "Apple beats estimates", MSFT => "Microsoft misses" }
 */
export function entityTexts(text: string, mentions: readonly Mention[]): Map<string, string> | undefined {
  if (new Set(mentions.map((m) => m.symbol)).size < 2) return undefined;
  // Merge name-only clauses forward.
  const spans = clauses(text);
  const merged: { start: number; end: number }[] = [];
  let pending: number | undefined;
  for (const c of spans) {
    const start = pending ?? c.start;
    const named = mentions.filter((m) => m.start >= c.start && m.end <= c.end);
    const rest = [...text.slice(c.start, c.end).matchAll(WORD)].filter((w) => {
      const at = c.start + w.index!;
      return !named.some((m) => at >= m.start && at < m.end) && !/^(?:and|&|or|shares?|stocks?|of|the|its)$/i.test(w[0]);
    });
    if (named.length > 0 && rest.length === 0) {
      pending = start;
      continue;
    }
    merged.push({ start, end: c.end });
    pending = undefined;
  }
  if (pending !== undefined) {
    if (merged.length) merged[merged.length - 1] = { start: merged[merged.length - 1]!.start, end: text.length };
    else merged.push({ start: pending, end: text.length });
  }
  const bySymbol = new Map<string, number[]>();
  merged.forEach((c, i) => {
    for (const m of mentions) if (m.start >= c.start && m.end <= c.end) (bySymbol.get(m.symbol) ?? bySymbol.set(m.symbol, []).get(m.symbol)!).push(i);
  });
  const texts = new Map<string, string>();
  for (const [symbol, idx] of bySymbol) texts.set(symbol, [...new Set(idx)].map((i) => text.slice(merged[i]!.start, merged[i]!.end)).join("; "));
  if (new Set(texts.values()).size < 2) return undefined;
  return texts;
}
