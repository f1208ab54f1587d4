// featureIntervalJoin: same-symbol feature rows within [−before, +after] → one row with the right values prefixed.
import { describe, expect, it } from "vitest";
import type { Observable } from "rxjs";
import type { Chunk } from "../../../core/chunk.ts";
import type { FeatureRow } from "../../../schemas/features.ts";
import { featureIntervalJoin, type FeatureIntervalJoinOptions } from "../../../operators/featureIntervalJoin.ts";
import { chunk, END, flat, runJoin } from "./helpers.ts";
import { joinFeeds, randomTimes } from "./joinFeeds.ts";
import { expectResumesAfterAnyChunk } from "../resumeCheck.ts";

const S = 1_000_000_000n;
const row = (id: string, symbol: string, sec: number, values: Record<string, number>, timeframe = "1m"): FeatureRow => ({
  id,
  symbol,
  tsEvent: BigInt(sec) * S,
  timeframe,
  values,
});
const join = (o: FeatureIntervalJoinOptions) => (l: Observable<Chunk<FeatureRow>>, r: Observable<Chunk<FeatureRow>>) => featureIntervalJoin(l, r, o);
const opts = (extra: Partial<FeatureIntervalJoinOptions> = {}): FeatureIntervalJoinOptions => ({
  beforeNs: 300n * S,
  afterNs: 0n,
  rightPrefix: "s5m.",
  maxPerKey: 100,
  onLate: () => undefined,
  ...extra,
});

describe("featureIntervalJoin", () => {
  it("pairs rows of the same symbol within [left − before, left + after]: ids joined, later time, left timeframe, right values prefixed, lag", () => {
    const left = [chunk([row("L", "AAPL", 600, { close: 10 })], END)];
    const right = [
      chunk(
        [row("R-old", "AAPL", 200, { vwap: 1 }, "5m"), row("R", "AAPL", 360, { vwap: 9.5, close: 9 }, "5m"), row("M", "MSFT", 600, { vwap: 2 }, "5m")],
        END,
      ),
    ];
    expect(flat(runJoin(join(opts()), left, right).out)).toEqual([
      { id: "L+R", symbol: "AAPL", tsEvent: 600n * S, timeframe: "1m", values: { close: 10, "s5m.vwap": 9.5, "s5m.close": 9, "s5m.lagSeconds": -240 } },
    ]);
  });

  it("a right row after the left one joins within `after`, and the pair takes the later time", () => {
    const out = flat(
      runJoin(join(opts({ beforeNs: 0n, afterNs: 60n * S })), [chunk([row("L", "X", 0, {})], END)], [chunk([row("R", "X", 30, { v: 1 })], END)]).out,
    );
    expect(out.map((r) => [r.tsEvent, r.values["s5m.lagSeconds"]])).toEqual([[30n * S, 30]]);
  });

  it("names the input in the reason of a late row", () => {
    const late: string[] = [];
    runJoin(
      join(opts({ onLate: (r, reason) => late.push(`${r.id}: ${reason}`) })),
      [chunk([], 100n * S), chunk([row("late", "X", 10, {})], END)],
      [chunk([], 100n * S), chunk([], END)],
      [0, 1, 0, 1],
    );
    expect(late).toHaveLength(1);
    expect(late[0]).toMatch(/^late: .* \(left input\)$/);
  });

  it("resumes from a checkpoint after any chunk", () => {
    const left = randomTimes(200, ["AAPL", "MSFT", "ZZZ"], 31, (i, s, ts) => ({ ...row(`l${i}`, s, 0, { close: i }), tsEvent: ts * S }));
    const right = randomTimes(200, ["AAPL", "MSFT", "ZZZ"], 32, (i, s, ts) => ({ ...row(`r${i}`, s, 0, { vwap: i / 2 }, "5m"), tsEvent: ts * S }));
    const feeds = joinFeeds(left, right, {
      seed: 33,
      lateLeft: (r) => ({ ...r, id: `${r.id}-late` }),
      lateRight: (r) => ({ ...r, id: `${r.id}-late` }),
    });
    expectResumesAfterAnyChunk<FeatureRow>(
      (late) =>
        ([l, r]) =>
          featureIntervalJoin(l!, r!, opts({ beforeNs: 20n * S, afterNs: 5n * S, maxPerKey: 4, onLate: (item) => late.push(item.id) })),
      feeds,
      { inputCount: 2, minOutputs: 100, minLate: 10 },
    );
  });
});
