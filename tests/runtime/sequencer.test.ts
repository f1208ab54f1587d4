// Sequencer: live inputs of several sources released in replay order (event time, source rank, seq) behind a watermark.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { compareSequenced, lateReason, Sequencer, type Released, type Sequenced } from "../../runtime/sequencer.ts";

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

describe("Sequencer maxAhead", () => {
  const DAY = 86_400_000_000_000n;
  const NOW = 1_764_000_000_000_000_000n; // the clock the tests give it
  const Y2200 = 7_258_118_400_000_000_000n;

  it("calls an input more than maxAhead beyond the clock ahead, also as the very first input, and moves nothing", () => {
    const s = new Sequencer<string>(2, 0n, 200_000, { maxAheadNs: DAY, now: () => NOW });
    // Before anything was accepted or released, the wall clock is the reference.
    expect(s.aheadReference()).toBe(NOW);
    expect(s.add(0, Y2200, 1n, "2200")).toBe("ahead");
    expect(s.add(0, NOW + DAY, 2n, "a day ahead")).toBe("accepted");
    expect(s.add(1, NOW - 5n, 1n, "b")).toBe("accepted");
    expect(s.add(1, NOW + 2n * DAY, 2n, "b later")).toBe("accepted");
    const r = s.release()!;
    expect(keys(r)).toEqual(["b"]);
    // The watermark is lane 0's newest time: the 2200 input did not raise it.
    expect(r.watermark).toBe(NOW + DAY);
    expect(keys(s.drain())).toEqual(["a day ahead", "b later"]);
  });

  it("does not remember an ahead input's key: the corrected message with its id is accepted", () => {
    const s = new Sequencer<string>(1, 0n, 200_000, { maxAheadNs: DAY, now: () => NOW });
    expect(s.add(0, Y2200, 1n, "typo", "trade:t1")).toBe("ahead");
    expect(s.add(0, NOW, 2n, "fixed", "trade:t1")).toBe("accepted");
    expect(s.add(0, NOW, 3n, "again", "trade:t1")).toBe("duplicate");
  });

  it("measures against the newest accepted input when the feed runs ahead of the clock (a fast simulation)", () => {
    const s = new Sequencer<string>(1, 0n, 200_000, { maxAheadNs: DAY, now: () => NOW });
    // Each input a day after the previous one: far past the clock after a while, never more than a day beyond the newest.
    for (let i = 1n; i <= 30n; i++) expect(s.add(0, NOW + i * DAY, i, `d${i}`)).toBe("accepted");
    expect(s.aheadReference()).toBe(NOW + 30n * DAY);
    expect(s.add(0, NOW + 40n * DAY, 31n, "jump")).toBe("ahead");
  });

  it("after a restore, measures against the restored watermark (a run whose feed is ahead of the clock)", () => {
    const s = new Sequencer<string>(1, 0n, 200_000, { maxAheadNs: DAY, now: () => NOW });
    s.restoreWatermark(NOW + 10n * DAY);
    expect(s.aheadReference()).toBe(NOW + 10n * DAY);
    expect(s.add(0, NOW + 10n * DAY + 5n, 1n, "next")).toBe("accepted");
    expect(s.add(0, NOW + 12n * DAY, 2n, "too far")).toBe("ahead");
  });

  it("without a clock, the first input sets the reference", () => {
    const s = new Sequencer<string>(1, 0n, 200_000, { maxAheadNs: DAY });
    expect(s.add(0, 1000n, 1n, "first")).toBe("accepted");
    expect(s.add(0, 1000n + DAY + 1n, 2n, "beyond")).toBe("ahead");
    expect(s.add(0, 1000n + DAY, 3n, "at the bound")).toBe("accepted");
  });

  it("property: ahead inputs change nothing that is released, and every one of them is called ahead", () => {
    const streams = fc.array(fc.array(fc.bigInt({ min: 0n, max: 100n }), { maxLength: 25 }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(streams, fc.array(fc.nat(), { maxLength: 40 }), fc.array(fc.bigInt({ min: 1n, max: 10n ** 12n }), { maxLength: 8 }), (raw, picks, poison) => {
        const sources = raw.map((ts) => [...ts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
        // Inputs in a random interleaving; poison (far beyond the clock, 1,000) dropped in at random places.
        type In = { source: number; ts: bigint; seq: bigint; item: string };
        const order: In[] = [];
        const next = sources.map(() => 0);
        let i = 0;
        for (;;) {
          const live = sources.map((x, k) => (next[k]! < x.length ? k : -1)).filter((k) => k >= 0);
          if (live.length === 0) break;
          const k = live[(picks[i++ % Math.max(1, picks.length)] ?? 0) % live.length]!;
          order.push({ source: k, ts: sources[k]![next[k]!]!, seq: BigInt(next[k]!), item: `${k}:${next[k]}` });
          next[k]!++;
        }
        const withPoison = [...order];
        poison.forEach((p, j) => {
          const at = (j * 7) % (withPoison.length + 1);
          withPoison.splice(at, 0, { source: j % sources.length, ts: 1000n + 50n + p, seq: 1000n + BigInt(j), item: `poison${j}` });
        });
        const feed = (inputs: In[]) => {
          const s = new Sequencer<string>(sources.length, 0n, 200_000, { maxAheadNs: 50n, now: () => 1000n });
          const out: string[] = [];
          const results: string[] = [];
          const watermarks: bigint[] = [];
          for (const x of inputs) {
            results.push(s.add(x.source, x.ts, x.seq, x.item));
            const r = s.release();
            if (r) {
              out.push(...keys(r));
              watermarks.push(r.watermark);
            }
          }
          out.push(...s.drain().entries.map((e) => e.item));
          return { out, results, watermarks };
        };
        const clean = feed(order);
        const dirty = feed(withPoison);
        expect(dirty.out).toEqual(clean.out);
        expect(dirty.watermarks).toEqual(clean.watermarks);
        expect(dirty.results.filter((r) => r === "ahead")).toHaveLength(poison.length);
        expect(clean.results.every((r) => r === "accepted")).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("Sequencer with a source catching up", () => {
  it("releases nothing while a source catches up, then everything it held in event-time order, none late", () => {
    const s = new Sequencer<string>(2);
    s.setCatchingUp(0, true);
    s.setIdle(1, true);
    // Stream order of a wildcard lane over imported history: every ORCL bar, then every NVDA bar.
    for (const [seq, ts] of [10n, 20n, 30n].entries()) expect(s.add(0, ts, BigInt(seq), `orcl${ts}`)).toBe("accepted");
    expect(s.release()).toBeUndefined();
    expect(s.release(true)).toBeUndefined(); // not even a flush
    for (const [seq, ts] of [10n, 20n, 30n].entries()) expect(s.add(0, ts, BigInt(seq + 3), `nvda${ts}`)).toBe("accepted");
    expect(s.add(1, 15n, 1n, "news15")).toBe("accepted");
    s.setIdle(1, true);
    expect(s.release()).toBeUndefined();
    expect(s.watermark).toBe(-(2n ** 63n));
    s.setCatchingUp(0, false);
    s.setIdle(0, true);
    const r = s.release()!;
    expect(keys(r)).toEqual(["orcl10", "nvda10", "news15", "orcl20", "nvda20", "orcl30", "nvda30"]);
    expect(r.watermark).toBe(30n);
  });

  it("keeps a restored watermark while catching up, and drain still hands everything over", () => {
    const s = new Sequencer<string>(1);
    s.restoreWatermark(100n);
    s.setCatchingUp(0, true);
    s.add(0, 300n, 1n, "c");
    s.add(0, 200n, 2n, "b");
    expect(s.release()).toBeUndefined();
    expect(s.watermark).toBe(100n);
    expect(keys(s.drain())).toEqual(["b", "c"]);
  });

  it("property: a source delivering in any order while it catches up has nothing late, and the release is sorted", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.bigInt({ min: 0n, max: 60n }), { maxLength: 30 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        fc.bigInt({ min: 0n, max: 10n }),
        (sources, picks, delay) => {
          // Every source catches up over an unsorted backlog, delivered interleaved; each ends its catch-up after its last.
          const s = new Sequencer<string>(sources.length, delay);
          sources.forEach((_, k) => s.setCatchingUp(k, true));
          const next = sources.map(() => 0);
          const accepted: Sequenced<string>[] = [];
          const out: Sequenced<string>[] = [];
          let i = 0;
          for (;;) {
            const live = sources.map((x, k) => (next[k]! < x.length ? k : -1)).filter((k) => k >= 0);
            if (live.length === 0) break;
            const k = live[(picks[i++ % picks.length] ?? 0) % live.length]!;
            const j = next[k]!++;
            const e = { source: k, rank: k, ts: sources[k]![j]!, seq: BigInt(j), item: `${k}:${j}` };
            expect(s.add(k, e.ts, e.seq, e.item)).toBe("accepted");
            accepted.push(e);
            if (next[k] === sources[k]!.length) {
              s.setCatchingUp(k, false);
              s.setIdle(k, true);
            }
            const r = s.release();
            if (r) out.push(...r.entries);
          }
          sources.forEach((x, k) => {
            if (x.length === 0) s.setCatchingUp(k, false);
          });
          out.push(...s.drain().entries);
          expect(out.map((e) => e.item)).toEqual([...accepted].sort(compareSequenced).map((e) => e.item));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("lateReason", () => {
  it("names both times in ISO and how far behind", () => {
    const wm = 1_704_205_800_000_000_000n; // 2024-01-02T14:30:00Z
    expect(lateReason(wm - 2_500_000_000n, wm, "1s")).toBe(
      "event time 2024-01-02T14:29:57.500000000Z is 2.500 s behind the watermark 2024-01-02T14:30:00.000000000Z (sequencing.maxDelay 1s)",
    );
    expect(lateReason(wm - 40_000_000n, wm, "0s")).toMatch(/ is 40 ms behind /);
  });
});
