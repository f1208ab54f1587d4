// A seeded synthetic market and news feed: trades on geometric-Brownian price paths with jumps, and
// headlines that mention symbols and move their prices. Pure: same options, same messages.
import { mulberry32, normalFrom } from "../models/prng.ts";
import type { News } from "../schemas/news.ts";
import type { Trade } from "../schemas/trade.ts";
import { NS_PER_SECOND } from "../schemas/time.ts";

export interface SimulatorOptions {
  readonly symbols: readonly string[];
  readonly seed: number;
  /** Event time of the first message (ns since the epoch). */
  readonly startNs: bigint;
  /** Mean trades per second of event time, over all symbols. Default 20. */
  readonly tradesPerSecond?: number;
  /** Mean seconds of event time between news items. Default 90. */
  readonly newsEverySeconds?: number;
  /** Annualised volatility of the diffusion. Default 0.8 (lively, for demos). */
  readonly volatility?: number;
  /** Size of the price jump a news item causes, as a fraction. Default 0.01. */
  readonly newsImpact?: number;
}

export type SimulatedMessage = { readonly kind: "trade"; readonly msg: Trade } | { readonly kind: "news"; readonly msg: News };

const SECONDS_PER_YEAR = 252 * 6.5 * 3600;

const COMPANY: Record<string, string> = {
  AAPL: "Apple",
  MSFT: "Microsoft",
  GOOGL: "Alphabet",
  AMZN: "Amazon",
  NVDA: "Nvidia",
  TSLA: "Tesla",
  META: "Meta",
};

const POSITIVE = [
  "{name} beats earnings estimates as revenue jumps {pct}%",
  "{name} raises full-year guidance on strong demand",
  "Analysts upgrade {name} to buy, lift price target",
  "{name} profit rose {pct}% on record sales",
  "{name} announces $10 billion share buyback",
];
const NEGATIVE = [
  "{name} misses earnings estimates, shares fall",
  "{name} cuts guidance as growth slows",
  "{name} downgraded to sell at major broker",
  "{name} faces SEC probe over accounting",
  "{name} to cut {pct}% of jobs in restructuring",
];
const NEUTRAL = [
  "{name} to present at technology conference next week",
  "{name} declares quarterly dividend of $0.24",
  "{name} schedules annual shareholder meeting",
];

/**
 * Generates the feed in event-time order, forever (take what you need).
 *
 * @example
 * for (const m of take(simulate({ symbols: ["AAPL"], seed: 42, startNs }), 1000)) publish(m)
 */
export function* simulate(options: SimulatorOptions): Generator<SimulatedMessage> {
  const rand = mulberry32(options.seed);
  const normal = normalFrom(rand);
  const tradeRate = options.tradesPerSecond ?? 20;
  const newsRate = 1 / (options.newsEverySeconds ?? 90);
  const sigma = options.volatility ?? 0.8;
  const impact = options.newsImpact ?? 0.01;
  const symbols = [...options.symbols];
  const price = symbols.map((s) => 20 + (hash(s) % 480));
  const lastNs = symbols.map(() => options.startNs);
  const exp = (rate: number) => -Math.log(1 - rand()) / rate;
  let nextTrade = options.startNs + seconds(exp(tradeRate));
  let nextNews = options.startNs + seconds(exp(newsRate));
  let trades = 0;
  let news = 0;
  for (;;) {
    if (nextNews < nextTrade) {
      const i = Math.floor(rand() * symbols.length);
      const sym = symbols[i]!;
      const r = rand();
      const [templates, direction] = r < 0.4 ? [POSITIVE, 1] : r < 0.8 ? [NEGATIVE, -1] : [NEUTRAL, 0];
      const template = templates[Math.floor(rand() * templates.length)]!;
      const name = COMPANY[sym];
      const headline = template.replace("{name}", name ?? `$${sym}`).replace("{pct}", String(2 + Math.floor(rand() * 18)));
      price[i] = round2(price[i]! * (1 + direction * impact * (0.5 + rand())));
      yield {
        kind: "news",
        msg: { id: `sim-${options.seed}-${options.startNs}-n${news++}`, source: "simwire", tsEvent: nextNews, headline, symbols: name ? [] : [sym] },
      };
      nextNews += seconds(exp(newsRate));
      continue;
    }
    const i = Math.floor(rand() * symbols.length);
    const dt = Number(nextTrade - lastNs[i]!) / 1e9;
    lastNs[i] = nextTrade;
    const drift = -0.5 * sigma * sigma * (dt / SECONDS_PER_YEAR);
    const jump = rand() < 0.0005 ? normal() * 0.01 : 0;
    price[i] = Math.max(0.01, round2(price[i]! * Math.exp(drift + sigma * Math.sqrt(dt / SECONDS_PER_YEAR) * normal() + jump)));
    const size = 1 + Math.floor(-Math.log(1 - rand()) * 100);
    yield {
      kind: "trade",
      msg: {
        id: `sim-${options.seed}-${options.startNs}-t${trades++}`,
        symbol: symbols[i]!,
        tsEvent: nextTrade,
        price: price[i]!,
        size,
        side: rand() < 0.5 ? "buy" : "sell",
      },
    };
    nextTrade += seconds(exp(tradeRate));
  }
}

const seconds = (s: number): bigint => BigInt(Math.max(1, Math.round(s * 1e9))) * 1n;
const round2 = (x: number): number => Math.round(x * 100) / 100;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export const DEFAULT_SIM_START_NS = 1_704_205_800n * NS_PER_SECOND; // 2024-01-02T14:30:00Z, a US market open
