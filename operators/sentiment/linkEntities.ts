// Finds which symbols a headline is about: cashtags, exchange-prefixed tickers, bare known tickers, company names.
import defaultCompanyNames, { type CompanyNames } from "./companyNames.ts";

export interface LinkEntitiesOptions {
  /** Symbol → names, e.g. { AAPL: ["Apple"] }. Default: `defaultCompanyNames` (the seven largest US tech names). */
  companyNames?: CompanyNames;
  /**
   * Symbols recognised as bare upper-case words ("AAPL shares rise"). Default: the keys of `companyNames`.
   * Cashtags and exchange prefixes are recognised for any symbol.
   */
  knownSymbols?: Iterable<string>;
  /**
   * Symbols that are also ordinary words or abbreviations, recognised only as a cashtag ("$ALL") or with an
   * exchange prefix ("NYSE:ALL"). Default: `AMBIGUOUS_TICKERS`; symbols of one or two letters are always ambiguous.
   */
  ambiguousSymbols?: Iterable<string>;
}

/** Tickers that are English words or common abbreviations in headlines. */
export const AMBIGUOUS_TICKERS: ReadonlySet<string> = new Set(
  (
    "A I IT ALL ARE BE CAN DO FOR GO HAS HE NOW ON ONE OR OUT SO TWO YOU AN AT BY CEO CFO EV AI AM BIG CAR CAT EAT " +
    "FAST FUN GOOD HOPE KEY LOW MAN NEW OPEN PLAY REAL RUN SEE TRUE U UK US USA WELL WORK ANY CASH EDIT ELSE BEST " +
    "PLUS TECH IPO ETF GDP CPI FED SEC FDA EPS API USD EUR LIFE LOVE NICE PEAK POST RARE SAFE SITE SUN TEAM TELL " +
    "WISH ZONE HUGE MAIN MOVE NEXT ROCK SAVE SHOP SNOW STAR TRIP"
  ).split(" "),
);

const EXCHANGES = "NASDAQ|NYSE|NYSEARCA|NYSEAMERICAN|AMEX|ARCA|BATS|CBOE|OTC|OTCMKTS|TSX|TSXV|LSE|LON|XETRA|ETR|HKEX|ASX";
const SYMBOL = "[A-Z][A-Z0-9]{0,9}(?:[.-][A-Z0-9]{1,4})?";
const CASHTAG = new RegExp(`(?<![\\w$])\\$(${SYMBOL})(?![\\w])`, "gi");
const PREFIXED = new RegExp(`\\b(?:${EXCHANGES})\\s*:\\s*(${SYMBOL})(?![\\w])`, "gi");
const BARE = new RegExp(`(?<![\\w$:.])(${SYMBOL})(?![\\w])`, "g");

/** Where a symbol is named in a text: [start, end) in UTF-16 units. */
export interface Mention {
  readonly symbol: string;
  readonly start: number;
  readonly end: number;
}

/** A prepared linker: options compiled once. */
export interface EntityLinker {
  /** The symbols the text is about, sorted, without duplicates. */
  link(text: string): string[];
  /** Every mention of a symbol, in text order (what `link` collects). */
  mentions(text: string): Mention[];
}

/**
 * Prepares a linker.
 *
 * @example
 * const linker = createEntityLinker({ companyNames: { ...defaultCompanyNames, ACME: ["Acme Corp", "Acme"] } });
 * linker.link("Acme's profit rose; $AAPL flat"); // ["AAPL", "ACME"]
 */
export function createEntityLinker(options: LinkEntitiesOptions = {}): EntityLinker {
  const names = options.companyNames ?? defaultCompanyNames;
  const known = new Set([...(options.knownSymbols ?? Object.keys(names))].map((s) => s.toUpperCase()));
  const ambiguous = new Set([...(options.ambiguousSymbols ?? AMBIGUOUS_TICKERS)].map((s) => s.toUpperCase()));
  const nameRules = Object.entries(names).flatMap(([symbol, list]) =>
    list.map((name) => ({ symbol: symbol.toUpperCase(), pattern: namePattern(name, "g"), loose: namePattern(name, "gi") })),
  );
  const mentions = (text: string): Mention[] => {
    const out: Mention[] = [];
    const at = (symbol: string, m: RegExpMatchArray): void => void out.push({ symbol, start: m.index!, end: m.index! + m[0].length });
    for (const m of text.matchAll(CASHTAG)) at(m[1]!.toUpperCase(), m);
    for (const m of text.matchAll(PREFIXED)) at(m[1]!.toUpperCase(), m);
    // In an ALL-CAPS headline every word looks like a ticker, and names lose their capital: skip bare
    // tickers and match names regardless of case.
    const shouting = isMostlyUpperCase(text);
    if (!shouting) {
      for (const m of text.matchAll(BARE)) {
        const s = m[1]!;
        if (known.has(s) && s.length > 2 && !ambiguous.has(s)) at(s, m);
      }
    }
    for (const rule of nameRules) {
      const re = shouting ? rule.loose : rule.pattern;
      re.lastIndex = 0;
      for (const m of text.matchAll(re)) at(rule.symbol, m);
    }
    return out.sort((a, b) => a.start - b.start || a.end - b.end);
  };
  return {
    link: (text) => [...new Set(mentions(text).map((m) => m.symbol))].sort(),
    mentions,
  };
}

let defaultLinker: EntityLinker | undefined;

/**
 * The symbols `text` is about, sorted and without duplicates.
 *
 * @example
 * linkEntities("Apple's iPhone sales beat; NASDAQ:MSFT slips; $IT and IT spending"); // ["AAPL", "IT", "MSFT"]
 * @param text a headline or body
 * @param options company names, known symbols, ambiguous symbols; omitted options use a shared default linker
 */
export function linkEntities(text: string, options?: LinkEntitiesOptions): string[] {
  if (options === undefined) {
    defaultLinker ??= createEntityLinker();
    return defaultLinker.link(text);
  }
  return createEntityLinker(options).link(text);
}

function namePattern(name: string, flags: string): RegExp {
  const escaped = name
    .trim()
    .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    .replace(/\s+/g, "\\s+");
  // Word boundaries that also work for names ending in punctuation ("Amazon.com", "AT&T"); "Meta-analysis" is
  // a word, "Meta-owned" is not worth the ambiguity either.
  return new RegExp(`(?<![\\w&-])${escaped}(?:['’]s)?(?![\\w&]|-\\w)`, flags);
}

function isMostlyUpperCase(text: string): boolean {
  const letters = text.replace(/[^A-Za-z]/g, "");
  if (letters.length < 12) return false;
  const upper = letters.replace(/[^A-Z]/g, "").length;
  return upper / letters.length > 0.7;
}
