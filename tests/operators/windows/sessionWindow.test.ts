import { describe, expect, it } from "vitest";
import { sessionWindow } from "../../../operators/sessionWindow.ts";
import { chunk, collectTimes, END, ev, randomEvents, runChunks, scheduler, seen, type Ev, type Seen } from "./helpers.ts";
import type { Chunk } from "../../../core/chunk.ts";
import { disorderedFeeds, expectResumesAfterAnyChunk } from "../resumeCheck.ts";

const opts = (extra: { allowedLatenessNs?: bigint; onLate?: (e: Ev, r: string) => void } = {}) => ({
  gapNs: 10n,
  aggregate: collectTimes(),
  onLate: () => undefined,
  ...extra,
});

describe("sessionWindow (marbles)", () => {
  it("in order: a gap of at least `gap` ends a session; sessions emit at last + gap in (end, key) order", () => {
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Chunk<Ev>>("-a-b-c|", {
        a: chunk([ev("A", 1), ev("B", 2), ev("A", 9)], 10),
        b: chunk([ev("A", 19), ev("B", 22)], 22), // A: 19 − 9 = 10 = gap → new session; B's [2,12) closed at 12
        c: chunk<Ev>([], END),
      });
      expectObservable(src.pipe(sessionWindow(opts()))).toBe("-x-y-z|", {
        x: chunk<Seen>([], 10),
        y: chunk([seen("B", 2, 12, [2]), seen("A", 1, 19, [1, 9])], 22),
        z: chunk([seen("A", 19, 29, [19]), seen("B", 22, 32, [22])], END),
      });
    });
  });

  it("out of order: an event between two sessions of a key merges them (merge, earlier first)", () => {
    const { out } = runChunks(sessionWindow(opts()), [chunk([ev("A", 28), ev("A", 10)], 10), chunk([ev("A", 19)], 19), chunk<Ev>([], END)]);
    expect(out.flatMap((c) => c.items)).toEqual([seen("A", 10, 38, [10, 28, 19])]);
  });

  it("late: events more than allowedLateness behind the watermark go to onLate", () => {
    const late: number[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Chunk<Ev>>("-a-b-c|", { a: chunk([ev("A", 1)], 15), b: chunk([ev("A", 12), ev("A", 9)], 16), c: chunk<Ev>([], END) });
      expectObservable(src.pipe(sessionWindow(opts({ allowedLatenessNs: 4n, onLate: (e) => late.push(Number(e.tsEvent)) })))).toBe("-x-y-z|", {
        x: chunk([seen("A", 1, 11, [1])], 11),
        y: chunk<Seen>([], 12),
        z: chunk([seen("A", 12, 22, [12])], END),
      });
    });
    expect(late).toEqual([9]);
  });

  it("empty chunks, empty key, idle symbols flushed by the watermark alone", () => {
    const { out } = runChunks(sessionWindow(opts()), [
      chunk<Ev>([], 1),
      chunk([ev("", 2), ev("IDLE", 3), ev("A", 4)], 5),
      chunk([ev("A", 12)], 13),
      chunk<Ev>([], 14),
    ]);
    expect(out.map((c) => c.items)).toEqual([[], [], [seen("", 2, 12, [2]), seen("IDLE", 3, 13, [3])], []]);
  });

  it("early unsubscribe and a throwing reducer", () => {
    const boom = new Error("boom");
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<Chunk<Ev>>("-a-a-a|", { a: chunk([ev("A", 1)], 1) });
      expectObservable(src.pipe(sessionWindow(opts())), "^-!").toBe("-x", { x: chunk<Seen>([], 1) });
      expectSubscriptions(src.subscriptions).toBe("^-!");
      const bad = cold<Chunk<Ev>>("-a|", { a: chunk([ev("A", 1), ev("A", 18), ev("A", 10)], END) });
      expectObservable(
        bad.pipe(
          sessionWindow({
            ...opts(),
            aggregate: {
              ...collectTimes(),
              merge: () => {
                throw boom;
              },
            },
          }),
        ),
      ).toBe("-#", undefined, boom);
    });
  });
});

describe("sessionWindow checkpoints", () => {
  it("resumes from a checkpoint after any chunk", () => {
    const feeds = disorderedFeeds(randomEvents(5, 300, 6), { size: 9, seed: 6, lateEvery: 3, late: (e) => ({ ...e, v: -1 }) });
    const { outputs } = expectResumesAfterAnyChunk<Seen>(
      (late) =>
        ([events$]) =>
          events$.pipe(sessionWindow(opts({ allowedLatenessNs: 4n, onLate: (_e, why) => late.push(why) }))),
      feeds,
      { minOutputs: 30, minLate: 10 },
    );
    // The disorder reaches the sessions (out-of-order events extend them backwards or bridge two).
    expect(outputs.some((s) => s.ts.some((t, i) => i > 0 && t < s.ts[i - 1]!))).toBe(true);
  });
});
