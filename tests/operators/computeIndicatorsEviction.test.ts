// evictIdle follows event time: where watermarks fall between batches must not change the feature rows.
import { describe, expect, it } from "vitest";
import { firstValueFrom, from, toArray } from "rxjs";
import { computeIndicators } from "../../operators/computeIndicators.ts";
import type { Chunk } from "../../core/chunk.ts";
import type { Bar } from "../../schemas/bar.ts";
import type { FeatureRow } from "../../schemas/features.ts";
import { indicatorSpec } from "../../pipeline/indicatorSpecs.ts";
import { minuteBar } from "./windows/helpers.ts";

const MIN = 60_000_000_000n;
const bar = (symbol: string, minute: number, close: number): Bar => minuteBar(minute, close, { symbol, volume: 1 });

async function rows(chunks: Chunk<Bar>[]): Promise<FeatureRow[]> {
  const op = computeIndicators({ indicators: [indicatorSpec({ id: "sma", name: "sma", period: 3 }, [])], evictIdleNs: 10n * MIN });
  const out = await firstValueFrom(from(chunks).pipe(op, toArray()));
  return out.flatMap((c) => [...c.items]);
}

describe("computeIndicators evictIdle", () => {
  // AAPL trades every minute; MSFT pauses 15 minutes (past evictIdle) between minute 3 and 18.
  const aapl = Array.from({ length: 25 }, (_, m) => bar("AAPL", m, 100 + m));
  const msft = [0, 1, 2, 3, 18, 19, 20, 21].map((m, i) => bar("MSFT", m, 50 + i));
  const all = [...aapl, ...msft].sort((a, b) => (a.tsEvent < b.tsEvent ? -1 : a.tsEvent > b.tsEvent ? 1 : a.symbol.localeCompare(b.symbol)));

  it("gives the same rows with one batch and with a watermark passing the idle gap between batches", async () => {
    const one = await rows([{ items: all, watermark: all.at(-1)!.tsEvent + 1n }]);
    const cut = all.findIndex((b) => b.tsEvent >= 15n * MIN);
    const two = await rows([
      { items: all.slice(0, cut), watermark: 15n * MIN },
      { items: [], watermark: 17n * MIN }, // a watermark-only chunk: frees MSFT's state
      { items: all.slice(cut), watermark: all.at(-1)!.tsEvent + 1n },
    ]);
    expect(two).toEqual(one);
  });

  it("restarts the warm-up of a symbol idle for longer than evictIdle", async () => {
    const out = (await rows([{ items: all, watermark: all.at(-1)!.tsEvent + 1n }])).filter((r) => r.symbol === "MSFT");
    expect(out.map((r) => r.values.sma !== undefined)).toEqual([false, false, true, true, false, false, true, true]);
    expect(out[4]!.values.ret).toBeUndefined(); // no return across the reset either
  });
});
