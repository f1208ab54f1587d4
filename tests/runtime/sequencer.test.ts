// Sequencer: live inputs of several sources released in replay order (event time, source rank, seq) behind a watermark.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compareSequenced, Sequencer, type Released, type Sequenced } from "../../runtime/sequencer.ts";

const keys = (r: Released<string> | undefined): string[] => (r ? r.entries.map((e) => e.item) : []);

describe("Sequencer", () => {
  it("releases in (event time, source index, seq) order once every source has passed that time", () => {
    const s = new Sequencer<string>(2);
    expect(s.add(1, 10n, 1n, "b10")).toBe("accepted");
    expect(s.add(1, 20n, 2n, "b20")).toBe("accepted");
    // Source 0 has not delivered yet: it holds the watermark.
    expect(s.release()).toBeUndefined();
    expect(s.add(0, 10n, 7n, "a10")).toBe("accepted");
    expect(s.add(0, 30n, 8n, "a30")).toBe("accepted");
    // min(max seen) = 20: everything before 20 goes, in time then source order.
    const r = s.release();
    expect(keys(r)).toEqual(["a10", "b10"]);
    expect(r!.watermark).toBe(20n);
    expect(s.release()).toBeUndefined();
    expect(keys(s.drain())).toEqual(["b20", "a30"]);
  });

  it("breaks ties on seq within a source", () => {
    const s = new Sequencer<string>(1);
    s.add(0, 5n, 3n, "third");
    s.add(0, 5n, 1n, "first");
    s.add(0, 5n, 2n, "second");
    s.add(0, 6n, 4n, "later");
    expect(keys(s.release())).toEqual(["first", "second", "third"]);
    expect(compareSequenced({ source: 0, rank: 0, ts: 1n, seq: 9n, item: 0 }, { source: 1, rank: 1, ts: 1n, seq: 1n, item: 0 })).toBeLessThan(0);
    // Ties break on the rank given at add (the declaration order replay uses), not on the lane.
    expect(compareSequenced({ source: 3, rank: 0, ts: 1n, seq: 9n, item: 0 }, { source: 1, rank: 1, ts: 1n, seq: 1n, item: 0 })).toBeLessThan(0);
  });

  it("never lowers the watermark", () => {
    const s = new Sequencer<string>(2);
    s.add(0, 100n, 1n, "a");
    s.add(1, 100n, 1n, "b");
    s.setIdle(1, true);
    s.add(0, 200n, 2n, "a2");
    expect(s.release()!.watermark).toBe(200n);
    // Source 1 comes back with an older max: the raw minimum would be 150, the watermark stays.
    expect(s.add(1, 150n, 2n, "late-b")).toBe("late");
    s.setIdle(1, false);
    expect(s.release()).toBeUndefined();
    expect(s.watermark).toBe(200n);
  });

  it("calls an input older than the released watermark late, and one at the watermark accepted", () => {
    const s = new Sequencer<string>(1);
    s.add(0, 10n, 1n, "x");
    s.add(0, 20n, 2n, "y");
    expect(s.release()!.watermark).toBe(20n);
    expect(s.add(0, 19n, 3n, "old")).toBe("late");
    expect(s.add(0, 20n, 4n, "same time")).toBe("accepted");
    expect(keys(s.drain())).toEqual(["y", "same time"]);
  });

  it("calls a repeated (source, seq) a duplicate, also after release, but not the same seq on another source", () => {
    const s = new Sequencer<string>(2);
    expect(s.add(0, 10n, 1n, "a")).toBe("accepted");
    expect(s.add(0, 10n, 1n, "a again")).toBe("duplicate");
    expect(s.add(1, 10n, 1n, "b")).toBe("accepted");
    s.add(0, 20n, 2n, "a2");
    s.add(1, 20n, 2n, "b2");
    expect(keys(s.release())).toEqual(["a", "b"]);
    expect(s.add(0, 10n, 1n, "a redelivered")).toBe("duplicate");
    expect(s.add(0, 5n, 99n, "really late")).toBe("late");
  });

  it("forgets the oldest (source, seq) beyond the dedupe window", () => {
    const s = new Sequencer<string>(1, 0n, 2);
    s.add(0, 1n, 1n, "1");
    s.add(0, 1n, 2n, "2");
    s.add(0, 1n, 3n, "3");
    expect(s.add(0, 1n, 1n, "1 again")).toBe("accepted");
    expect(s.add(0, 1n, 3n, "3 again")).toBe("duplicate");
  });

  it("is held by a source that never delivered until it is marked idle", () => {
    const s = new Sequencer<string>(3);
    s.add(0, 10n, 1n, "a10");
    s.add(0, 40n, 2n, "a40");
    s.add(2, 30n, 1n, "c30");
    expect(s.release()).toBeUndefined();
    expect(s.watermark).toBe(-(2n ** 63n));
    s.setIdle(1, true);
    const r = s.release();
    expect(keys(r)).toEqual(["a10"]);
    expect(r!.watermark).toBe(30n);
  });

  it("releases everything when every source is idle, keeping the watermark at the newest time released", () => {
    const s = new Sequencer<string>(2);
    s.add(0, 10n, 1n, "a10");
    s.add(1, 15n, 1n, "b15");
    s.add(0, 20n, 2n, "a20");
    s.setIdle(0, true);
    s.setIdle(1, true);
    const r = s.release();
    expect(keys(r)).toEqual(["a10", "b15", "a20"]);
    expect(r!.watermark).toBe(20n);
    expect(s.release()).toBeUndefined();
    // A new input makes its source active again.
    expect(s.add(1, 25n, 2n, "b25")).toBe("accepted");
    // Source 1 is active again with max 25: the watermark moves to 25, b25 itself waits.
    expect(s.release()).toEqual({ entries: [], watermark: 25n });
  });

  it("holds back the newest maxDelayNs of inputs", () => {
    const s = new Sequencer<string>(1, 10n);
    s.add(0, 100n, 1n, "a");
    s.add(0, 105n, 2n, "b");
    s.add(0, 109n, 3n, "c");
    expect(s.release()).toEqual({ entries: [], watermark: 99n }); // 109 - 10: nothing is that old
    s.add(0, 112n, 4n, "d");
    let r = s.release();
    expect(keys(r)).toEqual(["a"]); // < 102
    expect(r!.watermark).toBe(102n);
    // Out of order but within the allowed delay: accepted and released in order.
    expect(s.add(0, 103n, 5n, "a'")).toBe("accepted");
    s.add(0, 120n, 6n, "e");
    r = s.release();
    expect(keys(r)).toEqual(["a'", "b", "c"]);
    expect(r!.watermark).toBe(110n);
    expect(s.add(0, 109n, 7n, "too old")).toBe("late");
  });

  it("drain releases what is buffered in order and moves the watermark to its newest time", () => {
    const s = new Sequencer<string>(2);
    s.add(1, 7n, 1n, "b7");
    s.add(0, 7n, 1n, "a7");
    s.add(0, 3n, 2n, "a3");
    const d = s.drain();
    expect(keys(d)).toEqual(["a3", "a7", "b7"]);
    expect(d.watermark).toBe(7n);
    expect(s.drain()).toEqual({ entries: [], watermark: 7n });
  });

  describe("property: released order is the global order", () => {
    // Per-source streams sorted by time (ties allowed); seq = position in its stream.
    const streams = fc
      .array(fc.array(fc.bigInt({ min: 0n, max: 50n }), { maxLength: 30 }), { minLength: 1, maxLength: 4 })
      .map((ss) => ss.map((ts) => [...ts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))));
    type Step = { kind: "add"; source: number } | { kind: "release" };
    const run = (
      sources: bigint[][],
      picks: number[],
      releaseEvery: boolean[],
      maxDelay: bigint,
    ): { out: Sequenced<string>[]; accepted: Sequenced<string>[]; late: number } => {
      const s = new Sequencer<string>(sources.length, maxDelay);
      const next = sources.map(() => 0);
      const out: Sequenced<string>[] = [];
      const accepted: Sequenced<string>[] = [];
      let late = 0;
      let lastWatermark = s.watermark;
      const steps: Step[] = [];
      // Interleave: picks choose which source delivers next (skipping exhausted ones).
      let remaining = sources.reduce((n, x) => n + x.length, 0);
      let i = 0;
      while (remaining > 0) {
        const live = sources.map((x, k) => (next[k]! < x.length ? k : -1)).filter((k) => k >= 0);
        const src = live[(picks[i % Math.max(1, picks.length)] ?? 0) % live.length]!;
        steps.push({ kind: "add", source: src });
        next[src]!++;
        remaining--;
        if (releaseEvery[i % Math.max(1, releaseEvery.length)]) steps.push({ kind: "release" });
        i++;
      }
      next.fill(0);
      for (const step of steps) {
        if (step.kind === "release") {
          const r = s.release();
          if (r) {
            out.push(...r.entries);
            expect(r.watermark).toBeGreaterThanOrEqual(lastWatermark);
            lastWatermark = r.watermark;
          }
          continue;
        }
        const k = step.source;
        const seq = BigInt(next[k]!);
        const ts = sources[k]![next[k]!++]!;
        const e = { source: k, rank: k, ts, seq, item: `${k}:${seq}` };
        const res = s.add(k, ts, seq, e.item);
        if (res === "accepted") accepted.push(e);
        else if (res === "late") late++;
      }
      out.push(...s.drain().entries);
      return { out, accepted, late };
    };

    it("equals the sorted inputs for any interleaving of sorted streams (nothing is late)", () => {
      fc.assert(
        fc.property(
          streams,
          fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }),
          (sources, picks, rel) => {
            const { out, accepted, late } = run(sources, picks, rel, 0n);
            expect(late).toBe(0);
            const all = sources.flatMap((ts, k) => ts.map((t, j) => ({ source: k, rank: k, ts: t, seq: BigInt(j), item: `${k}:${j}` })));
            expect(accepted.length).toBe(all.length);
            expect(out.map((e) => e.item)).toEqual([...all].sort(compareSequenced).map((e) => e.item));
          },
        ),
        { numRuns: 300 },
      );
    });

    it("with a delay bound, releases every accepted input exactly once, in order", () => {
      fc.assert(
        fc.property(
          streams,
          fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }),
          fc.bigInt({ min: 0n, max: 20n }),
          (sources, picks, rel, delay) => {
            const { out, accepted } = run(sources, picks, rel, delay);
            expect(out.map((e) => e.item)).toEqual([...accepted].sort(compareSequenced).map((e) => e.item));
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});

describe("Sequencer with every source idle", () => {
  it("still holds back the newest maxDelay of event time until the caller flushes", () => {
    const seq = new Sequencer<string>(2, 5n);
    seq.add(0, 10n, 1n, "a10");
    seq.add(0, 20n, 2n, "a20");
    seq.setIdle(0, true);
    seq.setIdle(1, true);
    const first = seq.release()!;
    expect(first.entries.map((e) => e.item)).toEqual(["a10"]);
    expect(first.watermark).toBe(15n);
    expect(seq.add(1, 17n, 1n, "b17")).toBe("accepted"); // within the allowance: not late
    seq.setIdle(1, true);
    const flushed = seq.release(true)!;
    expect(flushed.entries.map((e) => e.item)).toEqual(["b17", "a20"]);
    expect(flushed.watermark).toBe(20n);
  });
});
