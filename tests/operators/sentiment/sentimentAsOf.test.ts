// sentimentAsOf: each feature row gets its symbol's latest scored news as of the row time, decayed by age.
import { describe, expect, it } from "vitest";
import type { Observable } from "rxjs";
import type { Chunk } from "../../../core/chunk.ts";
import type { FeatureRow } from "../../../schemas/features.ts";
import type { ScoredNews } from "../../../schemas/news.ts";
import { sentimentAsOf, type SentimentAsOfOptions } from "../../../operators/sentimentAsOf.ts";
import { chunk, END, flat, runJoin, scheduler } from "../windows/helpers.ts";
import { joinFeeds, randomTimes } from "../windows/joinFeeds.ts";
import { expectResumesAfterAnyChunk } from "../resumeCheck.ts";

const S = 1_000_000_000n;
const H = 3600n * S;
const row = (symbol: string, at: bigint, values: Record<string, number> = { close: 1 }): FeatureRow => ({
  id: `${symbol}:${at}`,
  symbol,
  tsEvent: at,
  timeframe: "1m",
  values,
});
const news = (id: string, symbol: string, at: bigint, score: number): ScoredNews => ({
  id,
  source: "wire",
  tsEvent: at,
  symbol,
  score,
  label: score > 0 ? "positive" : "negative",
  headline: id,
});
const join = (o: SentimentAsOfOptions) => (l: Observable<Chunk<FeatureRow>>, r: Observable<Chunk<ScoredNews>>) => sentimentAsOf(l, r, o);

describe("sentimentAsOf", () => {
  it("writes the latest news score at or before the row, halved every half-life of age, and the age in seconds", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const rows = cold<Chunk<FeatureRow>>("-a-b|", { a: chunk([row("AAPL", H)], H + 1n), b: chunk([row("AAPL", 3n * H), row("MSFT", 3n * H)], END) });
      const scored = cold<Chunk<ScoredNews>>("a---|", { a: chunk([news("n1", "AAPL", 0n, 0.8), news("n2", "AAPL", H, -0.4)], END) });
      expectObservable(sentimentAsOf(rows, scored, { as: "sentiment", maxStalenessNs: 4n * H, halfLifeNs: H })).toBe("-a-b|", {
        a: chunk([row("AAPL", H, { close: 1, sentiment: -0.4, "sentiment.ageSeconds": 0 })], H + 1n), // news at the row's time counts
        b: chunk([row("AAPL", 3n * H, { close: 1, sentiment: -0.1, "sentiment.ageSeconds": 7200 }), row("MSFT", 3n * H, { close: 1, sentiment: 0 })], END),
      });
    });
  });

  it("ignores news older than maxStaleness and news after the row; without a half-life the score is not decayed", () => {
    const rows = [chunk([row("AAPL", 2n * H), row("AAPL", 5n * H)], END)];
    const scored = [chunk([news("n1", "AAPL", H, 0.5), news("later", "AAPL", 2n * H + 1n, 0.9)], END)];
    const out = flat(runJoin(join({ as: "s", maxStalenessNs: 2n * H }), rows, scored).out);
    expect(out.map((r) => r.values)).toEqual([
      { close: 1, s: 0.5, "s.ageSeconds": 3600 },
      { close: 1, s: 0 }, // the latest news (2h + 1ns) is 3h − 1ns old, beyond 2h: ignored, no age
    ]);
  });

  it("a half-life of 0 means no decay", () => {
    const out = flat(
      runJoin(join({ as: "s", maxStalenessNs: 4n * H, halfLifeNs: 0n }), [chunk([row("X", 2n * H)], END)], [chunk([news("n", "X", 0n, 0.7)], END)]).out,
    );
    expect(out[0]!.values.s).toBe(0.7);
  });

  it("sends items behind the join's watermark to onLate with the reason", () => {
    const late: [string, string][] = [];
    const r = runJoin(
      join({ as: "s", maxStalenessNs: H, onLate: (item, reason) => late.push([item.id, reason]) }),
      [chunk([row("X", 10n * S)], 20n * S), chunk([row("X", 5n * S)], END)],
      [chunk([], 20n * S), chunk([], END)],
      [0, 1, 0, 1], // both watermarks reach 20 s before the row at 5 s arrives
    );
    expect(flat(r.out)).toHaveLength(1);
    expect(late).toHaveLength(1);
    expect(late[0]![0]).toBe(`X:${5n * S}`);
    expect(late[0]![1]).toMatch(/watermark/);
  });

  it("resumes from a checkpoint after any chunk", () => {
    const rows = randomTimes(250, ["AAPL", "MSFT", "ZZZ"], 41, (i, s, ts) => ({ ...row(s, ts * S, { close: i }), id: `r${i}` }));
    const scored = randomTimes(80, ["AAPL", "MSFT", "ZZZ"], 42, (i, s, ts) => news(`n${i}`, s, ts * S, (i % 5) / 5 - 0.3), 20);
    const feeds = joinFeeds(rows, scored, {
      seed: 43,
      lateLeft: (r) => ({ ...r, id: `${r.id}-late` }),
      lateRight: (n) => ({ ...n, id: `${n.id}-late` }),
    });
    expectResumesAfterAnyChunk<FeatureRow>(
      (late) =>
        ([l, r]) =>
          sentimentAsOf(l!, r!, { as: "sentiment", maxStalenessNs: 60n * S, halfLifeNs: 30n * S, onLate: (item) => late.push(item.id) }),
      feeds,
      { inputCount: 2, minOutputs: 200, minLate: 10 },
    );
  });
});
