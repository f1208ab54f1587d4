// Splits English financial text into lower-case tokens for the finance scorer, keeping percentages and clause breaks.

export interface Token {
  /** Lower-cased word, number ("12%", "$310", "3.5") or a clause break ("," ";" "but"). */
  readonly text: string;
  /** The percentage a token states: "12%" → 12, "12 percent" → 12, "half" → 50. */
  readonly pct?: number;
  /** Punctuation or a conjunction that ends the reach of a negator, an intensifier or a direction word. */
  readonly boundary: boolean;
}

const TOKEN = /\$?\d[\d,]*(?:\.\d+)?(?:\s*(?:%|percent\b|pct\b|per cent\b))?|[a-z]+(?:'[a-z]+)*|[.,;:!?()[\]]|\s[-–—]+\s|[–—]/g;
const BOUNDARY_WORDS = new Set(["but", "while", "although", "though", "whereas", "however", "yet"]);
const PERCENT = /^\$?([\d,]+(?:\.\d+)?)\s*(%|percent|pct|per cent)$/;

/**
 * Tokenizes `text`: lower-cases, drops possessive "'s", splits hyphenated words ("better-than-expected" → three
 * tokens), and marks percentages and clause boundaries.
 *
 * @example tokenize("Apple's profit rose 12%, but margins slipped") // apple profit rose 12% , but margins slipped
 */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  // "U.S." → "us", so abbreviations do not read as sentence ends.
  const lower = text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/\b(?:[a-z]\.){2,}/g, (abbr) => abbr.replace(/\./g, ""));
  for (const m of lower.matchAll(TOKEN)) {
    let t = m[0].trim();
    if (t.endsWith("'s")) t = t.slice(0, -2);
    else if (t.endsWith("'")) t = t.slice(0, -1);
    const pct = PERCENT.exec(t);
    if (pct) {
      out.push({ text: `${pct[1]!.replace(/,/g, "")}%`, pct: Number(pct[1]!.replace(/,/g, "")), boundary: false });
    } else if (t === "half") {
      out.push({ text: t, pct: 50, boundary: false });
    } else {
      const boundary = !/^[\w$']/.test(t) || BOUNDARY_WORDS.has(t);
      out.push({ text: t, boundary });
    }
  }
  return out;
}
