// The finance lexicon layered on AFINN-165 (the `sentiment` package's word list): word overrides, phrases,
// "direction × quantity" rules ("profit rose", "cuts guidance", "growth slows"), negators and intensifiers.
import afinn165 from "sentiment/languages/en/labels.json" with { type: "json" };

/** Weights are on AFINN's scale: -5 (very negative) .. +5 (very positive). */
export type Weight = number;

/** A change word: "rose", "cuts", "slows", "beats". */
export interface DirectionWord {
  /** +1 for up (rise, raise, beat), -1 for down (fall, cut, miss). */
  sign: 1 | -1;
  /** How much the change says, before the quantity and any percentage scale it. */
  strength: number;
  /**
   * Whether the word means something without a quantity next to it. "Intel plunges" is about the stock;
   * "Disney to cut" says nothing until we know what is cut.
   */
  standalone: boolean;
  /**
   * Transitive words look for their quantity after them first ("cuts guidance"), others before them first
   * ("revenue fell"); both then look the other way ("guidance was cut", "a 12% rise in sales").
   */
  transitive: boolean;
}

/** A thing that can go up or down: more revenue is good (+1), more losses are bad (-1). */
export interface Quantity {
  polarity: 1 | -1;
  /** Relative importance, default 1. */
  weight?: number;
  /**
   * A head noun that takes its sense from a quantity just before it: "unemployment rate falls" is about
   * unemployment, "cost growth slows" about costs.
   */
  defers?: boolean;
}

/** A fixed token sequence; `|` separates alternatives; `*N` allows up to N arbitrary tokens before the next element. */
export interface PhraseRule {
  pattern: string;
  weight: Weight;
}

export interface FinanceLexicon {
  /** Single-word weights, applied on top of AFINN; 0 removes a word AFINN scores but finance does not. */
  words: Readonly<Record<string, Weight>>;
  phrases: readonly PhraseRule[];
  directions: Readonly<Record<string, DirectionWord>>;
  quantities: Readonly<Record<string, Quantity>>;
  /** Single tokens or space-separated sequences that flip the sign of what follows. */
  negators: readonly string[];
  /** Multipliers for the nearest hit: "sharply" 1.5, "slightly" 0.5. */
  modifiers: Readonly<Record<string, number>>;
}

const up = (strength: number, standalone = false, transitive = false): DirectionWord => ({ sign: 1, strength, standalone, transitive });
const down = (strength: number, standalone = false, transitive = false): DirectionWord => ({ sign: -1, strength, standalone, transitive });
const forms = <T>(words: string, value: T): Record<string, T> =>
  Object.fromEntries(
    words
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => [w, value]),
  );

const EXPECTATION = "estimates|estimate|expectations|expectation|forecasts|forecast|consensus|views|projections";

/** The finance rules. Extend by spreading: `{ ...financeLexicon, words: { ...financeLexicon.words, moonshot: 3 } }`. */
export const financeLexicon: FinanceLexicon = {
  words: {
    // AFINN words that are plain vocabulary in finance: "share price", "gross margin", "interest income",
    // "bond fund", "health care", "free cash flow", "credit rating", "stable outlook", "Best Buy".
    ...forms(
      "share shares shared gross interest interests liability liabilities fund funds funded united care cares dear free capital credit secure secured security securities trust trusts like limited join joins safety clear cleared stable steady unchanged new vote agree agreed agrees agreement present pay pays paid demand demands matter matters big large huge top asset assets await awaits awaited cool hope hopes cut cuts cutting best help support supports supported approve approves approved approval recommend rescue save saves solid reach reaches worth want no",
      0,
    ),
    // AFINN words that are names, sectors or jargon here: "natural gas", "Moody's", "Waste Management",
    // "wealth management", "Ulta Beauty", "Justice Department", "artificial intelligence", "Pure Storage".
    ...forms(
      "natural gold golden effective leadership fulfillment focused unsecured moody super waste wealth beauty stop grace champion ally crude clean smart commitment commitments justice vision united resolve resolution fortune marvel luxury exclusive pure true honor intelligence intelligent reward rewards dedicated leading solution solutions quality",
      0,
    ),
    // Weights AFINN gets backwards or does not have.
    ...forms("lose loses losing", -2.5),
    // "fine" is a penalty only as "fined"/"fines"; as an adjective ("fine paper", "fine-tuned") it says nothing.
    fine: 0,
    fined: -2.5,
    fines: -2,
    penalty: -2,
    settle: -1,
    settles: -1,
    settlement: -1,
    settled: -1,
    overweight: 2,
    underweight: -2,
    outperform: 2,
    underperform: -2,
    ...forms("upgrade upgrades upgraded", 3),
    ...forms("downgrade downgrades downgraded", -3),
    ...forms("beat beats beating", 3),
    ...forms("bankruptcy bankrupt insolvency insolvent", -4),
    ...forms("lawsuit lawsuits litigation", -2),
    ...forms("sue sues sued suing", -2),
    ...forms("probe probes investigation investigations inquiry subpoena subpoenas", -2),
    ...forms("antitrust scrutiny audit", -1.5),
    ...forms("recall recalls recalled", -2.5),
    ...forms("layoffs layoff redundancies", -3),
    ...forms("writedown writedowns impairment impairments", -3),
    charge: -1,
    charges: -1.5,
    ...forms("default defaults defaulted delisting delisted", -3),
    ...forms("buyback buybacks repurchase repurchases", 2),
    ...forms("blocked blocks block", -2.5),
    rejected: -2,
    rejects: -1.5,
    ...forms("delay delays delayed", -2),
    ...forms("disappoint disappoints disappointed disappointing disappointment disappointingly", -3),
    ...forms("underwhelms underwhelming", -3),
    ...forms("upbeat bullish tailwind tailwinds", 2),
    ...forms("bearish headwind headwinds sluggish soft tough challenging", -2),
    ...forms("faulty cyberattack outage outages laundering", -2.5),
    ...forms("warns warned warning", -2.5),
    ...forms("recovery rebound", 2),
    ...forms("slowdown downturn recession", -2.5),
    ...forms("fears worries concerns", -2),
    pressure: -2,
    squeezed: -2,
    record: 2,
    profitable: 3,
    profitability: 1,
    // A profit figure is not news by itself ("profit was EUR 5mn"); its direction is (the quantity rules).
    profit: 0,
    profits: 0,
    growth: 2,
    loss: -2.5,
    losses: -2.5,
    debt: -1,
    weak: -2,
    weaker: -2,
    strong: 2,
    stronger: 2,
    resilient: 2,
    robust: 2,
    blowout: 0,
    hurt: -2,
    hurts: -2,
    weigh: -1.5,
    weighs: -1.5,
    weighed: -1.5,
  },
  phrases: [
    // Names that read as sentiment words.
    { pattern: "best buy", weight: 0 },
    { pattern: "first solar", weight: 0 },
    { pattern: "dollar general", weight: 0 },
    { pattern: "general motors|electric|mills|dynamics", weight: 0 },
    { pattern: "united airlines|rentals|states|kingdom", weight: 0 },
    { pattern: "match group", weight: 0 },
    // Estimates and expectations.
    { pattern: "better|stronger than expected|forecast|estimated|anticipated", weight: 3 },
    { pattern: "worse|weaker than expected|forecast|estimated|anticipated", weight: -3 },
    { pattern: "smaller|narrower than expected", weight: 2 },
    { pattern: "wider|bigger|larger|deeper than expected", weight: -2 },
    { pattern: `above *3 ${EXPECTATION}`, weight: 3 },
    { pattern: `below *3 ${EXPECTATION}`, weight: -3 },
    { pattern: `ahead of *2 ${EXPECTATION}|schedule`, weight: 2 },
    { pattern: `in line with *2 ${EXPECTATION}|expected`, weight: 0 },
    { pattern: "fall|falls|fell|falling|came|comes|come short", weight: -3 },
    { pattern: `meet|meets|met|meeting *2 ${EXPECTATION}|goal|goals|endpoint|endpoints|target|targets`, weight: 2.5 },
    // Levels.
    { pattern: "record high|highs", weight: 3 },
    { pattern: "all time high|highs|record", weight: 3 },
    { pattern: "record|decade low|lows", weight: -3 },
    { pattern: "all|multi time|year low|lows", weight: -3 },
    { pattern: "first time since", weight: 0 },
    // Corporate events.
    {
      pattern: "win|wins|won|winning|lands|landed|secures|secured|awarded|receives|clinches *3 contract|contracts|order|orders|deal|approval|grant|grants",
      weight: 3,
    },
    { pattern: "fda approves|approved|approval", weight: 3 },
    { pattern: "approval for", weight: 2 },
    { pattern: "first ever *1 dividend|profit", weight: 3 },
    { pattern: "first *3 profit", weight: 3 },
    { pattern: "turns|turned|swung|swings|returns|returned|return|swing to *1 profit|profitability", weight: 3 },
    { pattern: "turns|turned profitable", weight: 3 },
    { pattern: "swung|swings|swing|turns|turned to *2 loss|losses", weight: -3 },
    { pattern: "takeover|acquisition offer|bid", weight: 2 },
    { pattern: "lay|lays|laying|laid off", weight: -3 },
    { pattern: "job|jobs cuts", weight: -3 },
    { pattern: "chapter 11", weight: -4 },
    { pattern: "profit warning", weight: -3 },
    { pattern: "write|writes|wrote down", weight: -3 },
    { pattern: "cost|costs cuts|savings|cutting", weight: 1.5 },
    { pattern: "under pressure", weight: -2 },
    { pattern: "take|takes|took|taking *3 hit|charge|charges", weight: -3 },
    { pattern: "hit|hits with|by", weight: -2 },
    { pattern: "pull|pulls|pulled|push|pushes|pushed back", weight: -2 },
    { pattern: "blowout quarter|results|earnings", weight: 3 },
    { pattern: "reaffirms|reaffirmed|reiterates|reiterated|maintains|maintained|affirms|affirmed *3 guidance|outlook|forecast|rating|ratings", weight: 0 },
    { pattern: "little changed", weight: 0 },
  ],
  directions: {
    // Intransitive: the quantity usually comes first ("revenue rose", "growth slows", "Intel plunges").
    ...forms(
      "rise rises rose rising risen increase increases increased increasing grow grows grew grown growing expand expands expanded expanding accelerate accelerates accelerated accelerating improve improves improved improving strengthen strengthens strengthened",
      up(2),
    ),
    ...forms("climb climbs climbed climbing gain gains gained gaining", up(2, true)),
    ...forms("jump jumps jumped jumping rebound rebounds rebounded recover recovers recovered recovering advance advances advanced", up(2.5, true)),
    ...forms("surge surges surged surging soar soars soared soaring rally rallies rallied rallying skyrocket skyrockets skyrocketed", up(3, true)),
    ...forms("higher mount mounts mounting swell swells swelled spike spikes spiked", up(1.5)),
    ...forms("double doubles doubled triple triples tripled tenfold", up(3)),
    ...forms(
      "fall falls fell falling drop drops dropped dropping decline declines declined declining slide slides slid sliding dip dips dipped retreat retreats retreated",
      down(2, true),
    ),
    ...forms(
      "decrease decreases decreased decreasing shrink shrinks shrank shrunk shrinking contracted contracting slow slows slowed slowing weaken weakens weakened weakening soften softens softened softening erode erodes eroded fade fades faded fading ease eases eased easing",
      down(2),
    ),
    ...forms("sink sinks sank sunk sinking slump slumps slumped slumping", down(2.5, true)),
    ...forms("plunge plunges plunged plunging tumble tumbles tumbled tumbling plummet plummets plummeted sag sags sagged", down(3, true)),
    ...forms("crater craters cratered crash crashes crashed collapse collapses collapsed tank tanks tanked", down(3.5, true)),
    ...forms("cool cools cooled cooling", down(1.5)),
    ...forms("lower", down(1.5)),
    // Transitive: the quantity usually comes after ("raises guidance", "cuts 7,000 jobs", "beats estimates").
    ...forms("raise raises raised raising lift lifts lifted lifting boost boosts boosted boosting hike hikes hiked add adds added adding", up(2, false, true)),
    ...forms("widen widens widened widening wider", up(1.5, false, true)),
    ...forms("tops topped topping exceed exceeds exceeded exceeding surpass surpasses surpassed outpace outpaces outpaced", up(3, true, true)),
    ...forms(
      "cut cuts cutting slash slashes slashed slashing lowers lowered lowering reduce reduces reduced reducing trim trims trimmed trimming narrow narrows narrowed narrowing narrower squeeze squeezes dent dents dented",
      down(2, false, true),
    ),
    ...forms("miss misses missed missing lag lags lagged trail trails trailed", down(3, true, true)),
    ...forms(
      "withdraw withdraws withdrew withdrawn pull pulls pulled scrap scraps scrapped suspend suspends suspended halt halts halted halves halved",
      down(3, true, true),
    ),
    ...forms("close closes closing shut shuts shutting", down(2, false, true)),
  },
  quantities: {
    ...forms("revenue revenues sales profit profits earnings income eps ebitda margin margins", { polarity: 1, weight: 1.2 }),
    ...forms("guidance outlook forecast forecasts target targets view", { polarity: 1, weight: 1.3 }),
    ...forms("dividend dividends payout buyback buybacks repurchase distribution", { polarity: 1, weight: 1.2 }),
    ...forms(
      "orders bookings backlog billings shipments deliveries subscribers users customers payers members traffic volumes volume output production demand intake attendance",
      { polarity: 1 },
    ),
    ...forms(
      "shares stock stocks value valuation assets inflows cash flow rating ratings economy gdp activity exports confidence spending sentiment index futures",
      { polarity: 1 },
    ),
    ...forms("jobs workforce employees staff headcount workers", { polarity: 1, weight: 1.2 }),
    ...forms("stores plants plant mill mills factory factories sites", { polarity: 1, weight: 0.8 }),
    ...forms("price prices pricing", { polarity: 1, weight: 0.4 }),
    ...forms("oil crude gold copper silver bitcoin", { polarity: 1 }),
    ...forms("growth level levels figures", { polarity: 1, defers: true }),
    ...forms("loss losses costs cost expenses debt deficit writedowns outflows churn provisions delinquencies defaults", { polarity: -1, weight: 1.2 }),
    ...forms("inflation unemployment jobless claims yields competition fears concerns worries pressure risks uncertainty", { polarity: -1 }),
    ...forms("rate rates", { polarity: -1, weight: 0.8, defers: true }),
  },
  negators: [
    "not",
    "no",
    "never",
    "without",
    "nor",
    "neither",
    "cannot",
    "can't",
    "didn't",
    "doesn't",
    "don't",
    "isn't",
    "wasn't",
    "weren't",
    "won't",
    "hasn't",
    "haven't",
    "aren't",
    "couldn't",
    "wouldn't",
    "fail to",
    "fails to",
    "failed to",
    "failing to",
    "unable to",
    "lack of",
    "lacks",
    "absence of",
  ],
  modifiers: {
    ...forms(
      "sharply significantly substantially dramatically steeply strongly greatly hugely massively considerably markedly far well much sharp steep massive huge deep deeply heavily significant substantial dramatic biggest",
      1.5,
    ),
    ...forms("slightly marginally modestly somewhat slight modest mild mildly", 0.5),
  },
};

let afinnCache: ReadonlyMap<string, number> | undefined;

/**
 * AFINN-165 as shipped in `sentiment`, imported as a JSON module (static data, no file read at run time). It is
 * a copy apart from the table `sentiment` itself requires, which `Sentiment#analyze(text, { extras })` mutates
 * for the rest of the process.
 */
export function afinnLabels(): ReadonlyMap<string, number> {
  afinnCache ??= new Map(Object.entries(afinn165 as Record<string, number>));
  return afinnCache;
}
