import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decayedSentiment } from "../../../operators/sentiment/decayedSentiment.ts";

const H = 3_600_000_000_000n; // one hour in ns
const T0 = 1_700_000_000_000_000_000n;

describe("decayedSentiment", () => {
  it("halves an item's weight every half-life and fades the score toward 0", () => {
    const s = decayedSentiment({ halfLife: "2h" });
    s.update("AAPL", T0, 0.8);
    expect(s.valueAt("AAPL", T0)).toEqual({ score: 0.8, mean: 0.8, weight: 1, count: 1, lastUpdateNs: T0 });
    const later = s.valueAt("AAPL", T0 + 2n * H)!;
    expect(later.weight).toBeCloseTo(0.5);
    expect(later.score).toBeCloseTo(0.4);
    expect(later.mean).toBeCloseTo(0.8);
    expect(s.valueAt("MSFT", T0)).toBeUndefined();
  });

  it("weights recent items more: the decayed mean of +1 then -1 two half-lives later", () => {
    const s = decayedSentiment({ halfLife: 2n * H });
    s.update("X", T0, 1);
    s.update("X", T0 + 4n * H, -1); // first item now weighs 0.25
    const v = s.valueAt("X", T0 + 4n * H)!;
    expect(v.weight).toBeCloseTo(1.25);
    expect(v.mean).toBeCloseTo((0.25 - 1) / 1.25);
    expect(v.count).toBe(2);
  });

  it("gives the same answer whatever order items arrive in", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.double({ min: -1, max: 1, noNaN: true })), { minLength: 1, maxLength: 30 }), (items) => {
        const a = decayedSentiment({ halfLife: H });
        const b = decayedSentiment({ halfLife: H });
        for (const [m, x] of items) a.update("S", T0 + BigInt(m) * 60_000_000_000n, x);
        for (const [m, x] of [...items].reverse()) b.update("S", T0 + BigInt(m) * 60_000_000_000n, x);
        const at = T0 + 200n * 60_000_000_000n;
        const va = a.valueAt("S", at)!;
        const vb = b.valueAt("S", at)!;
        expect(va.weight).toBeCloseTo(vb.weight, 9);
        expect(va.score).toBeCloseTo(vb.score, 9);
        expect(va.count).toBe(vb.count);
      }),
    );
  });

  it("evicts symbols idle longer than idleAfter, measured in event time", () => {
    const s = decayedSentiment({ halfLife: H, idleAfter: "3h" });
    s.update("OLD", T0, 0.5);
    s.update("NEW", T0 + 2n * H, 0.5);
    expect(s.size).toBe(2);
    s.update("NEW", T0 + 4n * H, 0.5);
    expect(s.valueAt("OLD", T0 + 4n * H)).toBeUndefined();
    expect(s.size).toBe(1);
  });

  it("caps the number of symbols, dropping the least recently updated", () => {
    const s = decayedSentiment({ halfLife: H, maxSymbols: 2 });
    s.update("A1", T0, 1);
    s.update("B1", T0, 1);
    s.update("A1", T0 + 1n, 1);
    s.update("C1", T0 + 2n, 1);
    expect(s.valueAt("B1", T0 + 2n)).toBeUndefined();
    expect(s.valueAt("A1", T0 + 2n)).toBeDefined();
    expect(s.size).toBe(2);
  });

  it("round-trips through JSON and continues exactly where it stopped", () => {
    const a = decayedSentiment({ halfLife: "30m" });
    a.update("AAPL", T0, 0.6);
    a.update("MSFT", T0 + H, -0.3);
    const state = JSON.parse(JSON.stringify(a.toState()));
    expect(typeof state.symbols[0][1].lastNs).toBe("string");
    const b = decayedSentiment({ halfLife: "30m" }, state);
    for (const s of [a, b]) s.update("AAPL", T0 + 2n * H, 0.1);
    expect(b.toState()).toEqual(a.toState());
    expect(b.valueAt("AAPL", T0 + 3n * H)).toEqual(a.valueAt("AAPL", T0 + 3n * H));
    expect(decayedSentiment({ halfLife: H }, decayedSentiment({ halfLife: H }).toState()).size).toBe(0);
  });

  it("rejects bad options and bad state with messages naming the field", () => {
    expect(() => decayedSentiment({ halfLife: "2 hours" })).toThrow(/halfLife "2 hours" is not a duration/);
    expect(() => decayedSentiment({ halfLife: 0n })).toThrow(/halfLife must be positive/);
    expect(() => decayedSentiment({ halfLife: H, maxSymbols: 0 })).toThrow(/maxSymbols must be a positive integer/);
    const bad = { v: 1, newestNs: "1", symbols: [["AAPL", { sum: 1, weight: 1, count: 1, lastNs: 5 }]] } as never;
    expect(() => decayedSentiment({ halfLife: H }, bad)).toThrow(/AAPL.lastNs must be integer nanoseconds as a string/);
    expect(() => decayedSentiment({ halfLife: H }).update("X", T0, NaN)).toThrow(/score for X must be finite/);
  });

  it("keeps 10,000 symbols in modest memory", () => {
    const s = decayedSentiment({ halfLife: H });
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10_000; i++) s.update(`S${i}`, T0 + BigInt(i), 0.1);
    const used = process.memoryUsage().heapUsed - before;
    expect(s.size).toBe(10_000);
    expect(used).toBeLessThan(16 * 1024 * 1024);
  });
});
