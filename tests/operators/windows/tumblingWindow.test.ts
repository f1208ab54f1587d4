import { describe, expect, it } from "vitest";
import { tumblingWindow } from "../../../operators/tumblingWindow.ts";
import { chunk, collectTimes, END, ev, randomEvents, runChunks, scheduler, seen, type Ev, type Seen } from "./helpers.ts";
import type { Chunk } from "../../../core/chunk.ts";
import { disorderedFeeds, expectResumesAfterAnyChunk } from "../resumeCheck.ts";

const lateLog = () => {
  const late: { ts: number; reason: string }[] = [];
  return { late, onLate: (e: Ev, reason: string) => late.push({ ts: Number(e.tsEvent), reason }) };
};

describe("tumblingWindow (marbles)", () => {
  it("in order: emits each (window, key) once the watermark reaches its end, in (end, key) order", () => {
    const { onLate } = lateLog();
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Chunk<Ev>>("-a-b-c|", {
        a: chunk([ev("B", 1), ev("A", 2), ev("A", 9)], 9),
        b: chunk([ev("A", 10), ev("B", 15)], 15),
        c: chunk([ev("A", 21)], END),
      });
      expectObservable(src.pipe(tumblingWindow({ sizeNs: 10n, aggregate: collectTimes(), onLate }))).toBe("-x-y-z|", {
        x: chunk<Seen>([], 9),
        y: chunk([seen("A", 0, 10, [2, 9]), seen("B", 0, 10, [1])], 15),
        z: chunk([seen("A", 10, 20, [10]), seen("B", 10, 20, [15]), seen("A", 20, 30, [21])], END),
      });
    });
  });

  it("out of order within the watermark bound: events above the watermark join their windows in arrival order", () => {
    const { late, onLate } = lateLog();
    scheduler().run(({ cold, expectObservable }) => {
      // A source with 5 ns of out-of-orderness: watermark = max seen − 5.
      const src = cold<Chunk<Ev>>("-a-b-c|", {
        a: chunk([ev("A", 8), ev("A", 4), ev("A", 11)], 6),
        b: chunk([ev("A", 7), ev("A", 16), ev("A", 12)], 11),
        c: chunk([ev("A", 9)], END), // 9 < watermark 11, but its window [0,10) closed at 10: late
      });
      expectObservable(src.pipe(tumblingWindow({ sizeNs: 10n, aggregate: collectTimes(), onLate }))).toBe("-x-y-z|", {
        x: chunk<Seen>([], 6),
        y: chunk([seen("A", 0, 10, [8, 4, 7])], 11),
        z: chunk([seen("A", 10, 20, [11, 16, 12])], END),
      });
    });
    expect(late.map((l) => l.ts)).toEqual([9]);
    expect(late[0]!.reason).toMatch(/window \[0, 10\) of "A", already emitted at watermark 11/);
  });

  it("late: an event for an emitted window goes to onLate (counted), never into a later window", () => {
    const { late, onLate } = lateLog();
    const { out } = runChunks(tumblingWindow({ sizeNs: 10n, aggregate: collectTimes(), onLate }), [
      chunk([ev("A", 1)], 10),
      chunk([ev("A", 3), ev("B", 5), ev("A", 12)], 12), // A@3 and B@5: window [0,10) emitted at 10
      chunk([], END),
    ]);
    expect(out.flatMap((c) => c.items)).toEqual([seen("A", 0, 10, [1]), seen("A", 10, 20, [12])]);
    expect(late.map((l) => l.ts)).toEqual([3, 5]);
  });

  it("allowed lateness: holds windows until end + lateness, accepts events behind the watermark, lags the output watermark", () => {
    const { late, onLate } = lateLog();
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Chunk<Ev>>("-a-b-c-d|", {
        a: chunk([ev("A", 1)], 11),
        b: chunk([ev("A", 4)], 14), // behind the watermark, within lateness 5: accepted
        c: chunk([ev("A", 6)], 15), // window [0,10) emitted at 15
        d: chunk([ev("A", 7)], END),
      });
      expectObservable(src.pipe(tumblingWindow({ sizeNs: 10n, allowedLatenessNs: 5n, aggregate: collectTimes(), onLate }))).toBe("-w-x-y-z|", {
        w: chunk<Seen>([], 6),
        x: chunk<Seen>([], 9),
        y: chunk([seen("A", 0, 10, [1, 4, 6])], 10),
        z: chunk<Seen>([], END),
      });
    });
    expect(late.map((l) => l.ts)).toEqual([7]);
  });

  it("empty input and empty keys: watermark-only chunks pass through; the empty string is a key like any other", () => {
    const { onLate } = lateLog();
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Chunk<Ev>>("-a-b-c|", { a: chunk<Ev>([], 5), b: chunk([ev("", 7), ev("A", 8)], 20), c: chunk<Ev>([], END) });
      expectObservable(src.pipe(tumblingWindow({ sizeNs: 10n, aggregate: collectTimes(), onLate }))).toBe("-x-y-z|", {
        x: chunk<Seen>([], 5),
        y: chunk([seen("", 0, 10, [7]), seen("A", 0, 10, [8])], 20),
        z: chunk<Seen>([], END),
      });
    });
  });

  it("idle symbols: a symbol that stops trading is flushed by the watermark, not by its own next event", () => {
    const { onLate } = lateLog();
    const { out } = runChunks(tumblingWindow({ sizeNs: 10n, aggregate: collectTimes(), onLate }), [
      chunk([ev("IDLE", 1), ev("A", 2)], 3),
      chunk([ev("A", 12)], 13),
      chunk([ev("A", 25)], 26),
    ]);
    expect(out.map((c) => c.items)).toEqual([[], [seen("A", 0, 10, [2]), seen("IDLE", 0, 10, [1])], [seen("A", 10, 20, [12])]]);
  });

  it("a custom key and an offset shift the windows", () => {
    const { onLate } = lateLog();
    const { out } = runChunks(tumblingWindow({ sizeNs: 10n, offsetNs: 3n, key: (e: Ev) => `k${e.v}`, aggregate: collectTimes(), onLate }), [
      chunk([ev("A", 2, 1), ev("B", 4, 1), ev("A", 5, 2)], END),
    ]);
    expect(out[0]!.items).toEqual([seen("k1", -7, 3, [2]), seen("k1", 3, 13, [4]), seen("k2", 3, 13, [5])]);
  });

  it("early unsubscribe stops the source subscription", () => {
    const { onLate } = lateLog();
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold<Chunk<Ev>>("-a-a-a-a|", { a: chunk([ev("A", 1)], 1) });
      expectObservable(src.pipe(tumblingWindow({ sizeNs: 10n, aggregate: collectTimes(), onLate })), "^--!").toBe("-x-", { x: chunk<Seen>([], 1) });
      expectSubscriptions(src.subscriptions).toBe("^--!");
    });
  });

  it("a throwing reducer errors the stream with that error; source errors pass through", () => {
    const boom = new Error("reducer failed");
    const agg = {
      ...collectTimes(),
      add: (a: number[], e: Ev) => {
        if (e.tsEvent === 13n) throw boom;
        a.push(Number(e.tsEvent));
        return a;
      },
    };
    scheduler().run(({ cold, expectObservable }) => {
      const src = cold<Chunk<Ev>>("-a-b-c|", { a: chunk([ev("A", 1)], 2), b: chunk([ev("A", 13)], 14), c: chunk<Ev>([], END) });
      expectObservable(src.pipe(tumblingWindow({ sizeNs: 10n, aggregate: agg, onLate: () => undefined }))).toBe("-x-#", { x: chunk<Seen>([], 2) }, boom);
      const failing = cold<Chunk<Ev>>("-a-#", { a: chunk([ev("A", 1)], 2) }, boom);
      expectObservable(failing.pipe(tumblingWindow({ sizeNs: 10n, aggregate: collectTimes(), onLate: () => undefined }))).toBe(
        "-x-#",
        { x: chunk<Seen>([], 2) },
        boom,
      );
    });
  });

  it("a throwing late handler errors the stream too", () => {
    const { error } = runChunks(
      tumblingWindow({
        sizeNs: 10n,
        aggregate: collectTimes(),
        onLate: () => {
          throw new Error("dlq down");
        },
      }),
      [chunk([ev("A", 1)], 20), chunk([ev("A", 2)], 21)],
    );
    expect((error as Error).message).toBe("dlq down");
  });

  it("each subscription starts with fresh state (replay)", () => {
    const op = tumblingWindow({ sizeNs: 10n, aggregate: collectTimes(), onLate: () => undefined });
    const input = [chunk([ev("A", 1), ev("A", 2)], END)];
    expect(runChunks(op, input).out).toEqual(runChunks(op, input).out);
  });

  it("rejects a non-positive size", () => {
    expect(() => tumblingWindow({ sizeNs: 0n, aggregate: collectTimes(), onLate: () => undefined })).toThrow(/sizeNs must be positive/);
  });
});

describe("tumblingWindow checkpoints", () => {
  it("resumes from a checkpoint after any chunk", () => {
    const feeds = disorderedFeeds(randomEvents(1, 300, 4), { size: 7, seed: 2, lateEvery: 4, late: (e) => ({ ...e, v: -1 }) });
    expectResumesAfterAnyChunk<Seen>(
      (late) =>
        ([events$]) =>
          events$.pipe(tumblingWindow({ sizeNs: 10n, allowedLatenessNs: 3n, aggregate: collectTimes(), onLate: (_e, why) => late.push(why) })),
      feeds,
      { minOutputs: 100, minLate: 10 },
    );
  });
});
