// Window, resampling and join operators (issue 3): event-time windows over trades and bars giving feature rows,
// bar resampling with trading sessions, and interval/keyed stream-stream joins. Late events go to dlq.<node>.
import { z } from "zod";
import { parseDurationNs } from "../../schemas/time.ts";
import { TIMEFRAME_PATTERN } from "../../schemas/timeframe.ts";
import type { Bar } from "../../schemas/bar.ts";
import type { Trade } from "../../schemas/trade.ts";
import { resampleBars } from "../../operators/resampleBars.ts";
import { barWindowStats } from "../../operators/barWindowStats.ts";
import type { PriceWindowStatsOptions } from "../../operators/priceWindowStats.ts";
import { tradeWindowStats } from "../../operators/tradeWindowStats.ts";
import { featureIntervalJoin, type FeatureIntervalJoinOptions } from "../../operators/featureIntervalJoin.ts";
import { newsKeyedJoin, type NewsKeyedJoinOptions } from "../../operators/newsKeyedJoin.ts";
import { def, duration, featureName, type OperatorContext, type OperatorDef } from "../operatorDef.ts";

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a local time HH:MM, e.g. 09:30");

/** A window shape: `{ type: tumbling, size }`, `{ type: sliding, size, slide }` or `{ type: session, gap }`. */
const windowSpec = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("tumbling"), size: duration.describe("Window length; windows are back to back, aligned to the epoch.") }),
  z.strictObject({
    type: z.literal("sliding"),
    size: duration.describe("Window length."),
    slide: duration.describe("A window starts every `slide` (at most `size`), so windows overlap."),
  }),
  z.strictObject({ type: z.literal("session"), gap: duration.describe("A symbol's window closes after this much event time without an event.") }),
]);

const windowStatsParams = z
  .strictObject({
    window: windowSpec.describe("The window shape: `{ type: tumbling, size }`, `{ type: sliding, size, slide }` or `{ type: session, gap }`."),
    allowedLateness: duration
      .default("0s")
      .describe("How long after the watermark passes a window's end it still accepts events; later ones go to dlq.<node>."),
    prefix: z.string().default("").describe('Prefix for every feature name, e.g. "w5m." (default none).'),
  })
  .refine((p) => p.window.type !== "sliding" || parseDurationNs(p.window.slide) <= parseDurationNs(p.window.size), {
    message: "slide must not exceed size",
    path: ["window", "slide"],
  });

/** The options of the window-statistics operators from their parameters. */
function windowStatsOptions<T>(p: z.infer<typeof windowStatsParams>, ctx: OperatorContext): PriceWindowStatsOptions<T> {
  return {
    window: p.window,
    allowedLatenessNs: parseDurationNs(p.allowedLateness),
    prefix: p.prefix,
    onLate: (item, reason) => ctx.deadLetter(item, reason, "tsEvent"),
  };
}

const STATS_FEATURES = "count, volume, vwap, open, high, low, close, ret (close/open − 1), retMean and retStd (population) of event-to-event returns";

export const WINDOW_OPERATORS: readonly OperatorDef<unknown>[] = [
  def({
    name: "resample",
    summary: "Bars → coarser bars (1m → 5m, 1h → 1d): OHLCV, VWAP and trade count; with a session, buckets follow the trading day.",
    inputs: [{ name: "bars", kind: "bar" }],
    output: "bar",
    params: z.strictObject({
      timeframe: z
        .string()
        .regex(TIMEFRAME_PATTERN, "must be a timeframe like 5m, 1h or 1d")
        .describe("Target timeframe, a multiple of the input's: a count and s|m|h|d."),
      session: z
        .strictObject({
          timezone: z.string().min(1).describe("IANA zone (e.g. America/New_York), UTC, or a fixed offset like +05:30."),
          open: hhmm.describe('Local time the session opens (quote it in YAML: "09:30").'),
          close: hhmm.describe("Local time the session closes, after `open` (sessions spanning midnight are not supported)."),
        })
        .refine((s) => s.close > s.open, { message: "close must be after open (sessions spanning midnight are not supported)", path: ["close"] })
        .optional()
        .describe("Local trading session; without it buckets are epoch-aligned in UTC."),
      allowedLateness: duration.default("0s").describe("How long after a bucket's end it still accepts bars."),
      outsideSession: z
        .enum(["deadLetter", "skip"])
        .default("deadLetter")
        .describe("Bars outside the session: deadLetter (to dlq.<node>, default) or skip (for feeds with extended hours you do not want)."),
    }),
    example: '{ op: resample, in: bars, params: { timeframe: 1d, session: { timezone: America/New_York, open: "09:30", close: "16:00" } } }',
    build: (p, ctx) => {
      const op = resampleBars({
        timeframe: p.timeframe,
        session: p.session,
        allowedLatenessNs: parseDurationNs(p.allowedLateness),
        onLate: (b, reason) => ctx.deadLetter(b, reason, "tsOpen"),
        onOutsideSession: p.outsideSession === "skip" ? () => undefined : undefined,
      });
      return ([bars]) => bars.pipe(op);
    },
  }),
  def({
    name: "windowStats",
    summary: `Bars → one feature row per symbol and event-time window (tumbling, sliding or session): ${STATS_FEATURES} of the closes.`,
    inputs: [{ name: "bars", kind: "bar" }],
    output: "features",
    params: windowStatsParams,
    example: "{ op: windowStats, in: bars, params: { window: { type: sliding, size: 15m, slide: 5m }, prefix: w15m. } }",
    build: (p, ctx) => {
      const op = barWindowStats(windowStatsOptions<Bar>(p, ctx));
      return ([bars]) => bars.pipe(op);
    },
  }),
  def({
    name: "tradeWindowStats",
    summary: `Trades → one feature row per symbol and event-time window (tumbling, sliding or session): ${STATS_FEATURES} of the prices.`,
    inputs: [{ name: "trades", kind: "trade" }],
    output: "features",
    params: windowStatsParams,
    example: "{ op: tradeWindowStats, in: trades, params: { window: { type: tumbling, size: 1m }, allowedLateness: 2s } }",
    build: (p, ctx) => {
      const op = tradeWindowStats(windowStatsOptions<Trade>(p, ctx));
      return ([trades]) => trades.pipe(op);
    },
  }),
  def({
    name: "intervalJoin",
    summary: "Feature rows × feature rows of the same symbol whose times are within [−before, +after]: one row per pair, right values prefixed.",
    inputs: [
      { name: "left", kind: "features" },
      { name: "right", kind: "features" },
    ],
    output: "features",
    params: z.strictObject({
      before: duration.default("0s").describe("A right row may be up to this much earlier than the left row."),
      after: duration.default("0s").describe("A right row may be up to this much later than the left row."),
      rightPrefix: featureName.default("right.").describe("Prefix for the right row's feature names; `<prefix>lagSeconds` is right − left time."),
      maxPerKey: z.number().int().positive().default(10_000).describe("Most rows kept per symbol and side (oldest dropped first)."),
    }),
    example: "{ op: intervalJoin, in: [bars1m, stats5m], params: { before: 5m, after: 0s, rightPrefix: s5m. } }",
    fields: (p, [left, right]) => left && right && [...left, ...right.map((f) => `${p.rightPrefix}${f}`), `${p.rightPrefix}lagSeconds`],
    build: (p, ctx) => {
      const options: FeatureIntervalJoinOptions = {
        beforeNs: parseDurationNs(p.before),
        afterNs: parseDurationNs(p.after),
        rightPrefix: p.rightPrefix,
        maxPerKey: p.maxPerKey,
        onLate: (row, reason) => ctx.deadLetter(row, reason, "tsEvent"),
      };
      return ([left, right]) => featureIntervalJoin(left, right, options);
    },
  }),
  def({
    name: "keyedJoin",
    summary:
      "Feature rows × scored news of the same symbol at most `ttl` apart in event time: one row per pair, with the news score and age; state capped per symbol.",
    inputs: [
      { name: "rows", kind: "features" },
      { name: "news", kind: "scoredNews" },
    ],
    output: "features",
    params: z.strictObject({
      ttl: duration.default("1h").describe("Rows and news further apart than this do not join (and are evicted)."),
      maxPerKey: z.number().int().positive().default(100).describe("Most rows / news items kept per symbol (oldest dropped first)."),
      as: featureName.default("news").describe("Feature name for the news score; `<as>.ageSeconds` is row time − news time (negative: news came after)."),
    }),
    example: "{ op: keyedJoin, in: [indicators, sentiment], params: { ttl: 30m, maxPerKey: 50, as: news } }",
    fields: (p, [rows]) => rows && [...rows, p.as, `${p.as}.ageSeconds`],
    build: (p, ctx) => {
      const options: NewsKeyedJoinOptions = {
        ttlNs: parseDurationNs(p.ttl),
        maxPerKey: p.maxPerKey,
        as: p.as,
        onLate: (item, reason) => ctx.deadLetter(item, reason, "tsEvent"),
      };
      return ([rows, news]) => newsKeyedJoin(rows, news, options);
    },
  }),
];
