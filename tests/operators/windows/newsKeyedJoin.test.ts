// newsKeyedJoin: feature rows × scored news of the same symbol at most ttl apart → one row per pair with score and age.
import { describe, expect, it } from "vitest";
import type { Observable } from "rxjs";
import type { Chunk } from "../../../core/chunk.ts";
import type { FeatureRow } from "../../../schemas/features.ts";
import type { ScoredNews } from "../../../schemas/news.ts";
import { newsKeyedJoin, type NewsKeyedJoinOptions } from "../../../operators/newsKeyedJoin.ts";
import { chunk, END, flat, runJoin } from "./helpers.ts";
import { joinFeeds, randomTimes } from "./joinFeeds.ts";
import { expectResumesAfterAnyChunk } from "../resumeCheck.ts";

const S = 1_000_000_000n;
const row = (id: string, symbol: string, sec: number): FeatureRow => ({ id, symbol, tsEvent: BigInt(sec) * S, timeframe: "1m", values: { close: 1 } });
const news = (id: string, symbol: string, sec: number, score: number): ScoredNews => ({
  id,
  source: "wire",
  tsEvent: BigInt(sec) * S,
  symbol,
  score,
  label: "positive",
  headline: id,
});
const join = (o: NewsKeyedJoinOptions) => (l: Observable<Chunk<FeatureRow>>, r: Observable<Chunk<ScoredNews>>) => newsKeyedJoin(l, r, o);

describe("newsKeyedJoin", () => {
  it("joins every news item of the symbol within ±ttl, before or after the row, with its score and age", () => {
    const rows = [chunk([row("r", "AAPL", 600)], END)];
    const scored = [
      chunk([news("old", "AAPL", 0, 0.1), news("before", "AAPL", 480, 0.5), news("after", "AAPL", 660, -0.25), news("msft", "MSFT", 600, 1)], END),
    ];
    const out = flat(runJoin(join({ ttlNs: 300n * S, maxPerKey: 10, as: "news", onLate: () => undefined }), rows, scored).out);
    expect(out).toEqual([
      { id: "r+before", symbol: "AAPL", tsEvent: 600n * S, timeframe: "1m", values: { close: 1, news: 0.5, "news.ageSeconds": 120 } },
      { id: "r+after", symbol: "AAPL", tsEvent: 660n * S, timeframe: "1m", values: { close: 1, news: -0.25, "news.ageSeconds": -60 } },
    ]);
  });

  it("names the input in the reason of a late item", () => {
    const late: string[] = [];
    const o: NewsKeyedJoinOptions = { ttlNs: 60n * S, maxPerKey: 10, as: "n", onLate: (item, reason) => late.push(`${item.id}: ${reason}`) };
    runJoin(join(o), [chunk([], 100n * S), chunk([], END)], [chunk([], 100n * S), chunk([news("late", "X", 10, 1)], END)], [0, 1, 0, 1]);
    expect(late).toHaveLength(1);
    expect(late[0]).toMatch(/^late: .* \(right input\)$/);
  });

  it("resumes from a checkpoint after any chunk", () => {
    const rows = randomTimes(200, ["AAPL", "MSFT", "ZZZ"], 21, (i, s, ts) => ({ ...row(`r${i}`, s, 0), tsEvent: ts * S }));
    const scored = randomTimes(150, ["AAPL", "MSFT", "ZZZ"], 22, (i, s, ts) => ({ ...news(`n${i}`, s, 0, (i % 7) / 7 - 0.4), tsEvent: ts * S }));
    const feeds = joinFeeds(rows, scored, {
      seed: 23,
      lateLeft: (r) => ({ ...r, id: `${r.id}-late` }),
      lateRight: (n) => ({ ...n, id: `${n.id}-late` }),
    });
    expectResumesAfterAnyChunk<FeatureRow>(
      (late) =>
        ([l, r]) =>
          newsKeyedJoin(l!, r!, { ttlNs: 20n * S, maxPerKey: 3, as: "news", onLate: (item) => late.push(item.id) }),
      feeds,
      { inputCount: 2, minOutputs: 100, minLate: 10 },
    );
  });
});
