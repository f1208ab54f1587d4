import { describe, expect, it } from "vitest";
import { slidingWindow } from "../../../operators/slidingWindow.ts";
import { chunk, collectTimes, END, ev, randomEvents, runChunks, scheduler, seen, type Ev, type Seen } from "./helpers.ts";
import type { Chunk } from "../../../core/chunk.ts";
import { disorderedFeeds, expectResumesAfterAnyChunk } from "../resumeCheck.ts";

const opts = (extra: { allowedLatenessNs?: bigint; onLate?: (e: Ev, r: string) => void } = {}) => ({
  sizeNs: 10n,
  slideNs: 5n,
  aggregate: collectTimes(),
  onLate: () => undefined,
  ...extra,
});

describe("slidingWindow (marbles)", () => {
  it("in order: each event lands in size/slide windows; windows emit at their end in (end, key) order", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Chunk<Ev>>("-a-b-c|", {
        a: chunk([ev("A", 1), ev("B", 3)], 4),
        b: chunk([ev("A", 7)], 10),
        c: chunk<Ev>([], END),
      });
      expectObservable(src.pipe(slidingWindow(opts()))).toBe("-x-y-z|", {
        x: chunk<Seen>([], 4),
        y: chunk([seen("A", -5, 5, [1]), seen("B", -5, 5, [3]), seen("A", 0, 10, [1, 7]), seen("B", 0, 10, [3])], 10),
        z: chunk([seen("A", 5, 15, [7])], END),
      });
    });
  });

  it("out of order within the bound is absorbed; an event whose earliest window was emitted goes whole to onLate", () => {
    const late: number[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Chunk<Ev>>("-a-b-c|", {
        a: chunk([ev("A", 6), ev("A", 2)], 2),
        b: chunk([ev("A", 4), ev("A", 9)], 5), // A@4 ≥ watermark 2: fine; window [-5,5) emits at 5
        c: chunk([ev("A", 3), ev("A", 7)], END), // A@3: its window [-5,5) is gone → late, not added to [0,10) either
      });
      expectObservable(src.pipe(slidingWindow(opts({ onLate: (e) => late.push(Number(e.tsEvent)) })))).toBe("-x-y-z|", {
        x: chunk<Seen>([], 2),
        y: chunk([seen("A", -5, 5, [2, 4])], 5),
        z: chunk([seen("A", 0, 10, [6, 2, 4, 9, 7]), seen("A", 5, 15, [6, 9, 7])], END),
      });
    });
    expect(late).toEqual([3]);
  });

  it("allowed lateness keeps windows open and lags the output watermark", () => {
    const { out } = runChunks(slidingWindow(opts({ allowedLatenessNs: 3n })), [chunk([ev("A", 1)], 6), chunk([ev("A", 3)], 8), chunk<Ev>([], END)]);
    expect(out.map((c) => c.watermark)).toEqual([3n, 5n, END]);
    expect(out[1]!.items).toEqual([seen("A", -5, 5, [1, 3])]);
  });

  it("empty chunks, empty key, idle symbols", () => {
    const { out } = runChunks(slidingWindow(opts()), [chunk<Ev>([], 1), chunk([ev("", 2), ev("IDLE", 2)], 3), chunk([ev("A", 20)], 21)]);
    expect(out.map((c) => c.items.map((s) => `${s.key}[${s.start},${s.end})`))).toEqual([[], [], ["[-5,5)", "IDLE[-5,5)", "[0,10)", "IDLE[0,10)"]]);
  });

  it("early unsubscribe and a throwing reducer", () => {
    const boom = new Error("boom");
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<Chunk<Ev>>("-a-a-a|", { a: chunk([ev("A", 1)], 1) });
      expectObservable(src.pipe(slidingWindow(opts())), "^-!").toBe("-x", { x: chunk<Seen>([], 1) });
      expectSubscriptions(src.subscriptions).toBe("^-!");
      const bad = cold<Chunk<Ev>>("-a|", { a: chunk([ev("A", 1)], END) });
      expectObservable(
        bad.pipe(
          slidingWindow({
            ...opts(),
            aggregate: {
              ...collectTimes(),
              result: () => {
                throw boom;
              },
            },
          }),
        ),
      ).toBe("-#", undefined, boom);
    });
  });

  it("rejects slide > size", () => {
    expect(() => slidingWindow({ ...opts(), slideNs: 11n })).toThrow(/0 < slideNs <= sizeNs/);
  });
});

describe("slidingWindow checkpoints", () => {
  it("resumes from a checkpoint after any chunk", () => {
    const feeds = disorderedFeeds(randomEvents(3, 300, 4), { size: 7, seed: 4, lateEvery: 4, late: (e) => ({ ...e, v: -1 }) });
    expectResumesAfterAnyChunk<Seen>(
      (late) =>
        ([events$]) =>
          events$.pipe(slidingWindow({ sizeNs: 20n, slideNs: 5n, aggregate: collectTimes(), onLate: (_e, why) => late.push(why) })),
      feeds,
      { minOutputs: 300, minLate: 10 },
    );
  });
});
