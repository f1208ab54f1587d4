import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { dropUnlabeled, featureMatrix, walkForwardSplit } from "../../models/dataset.ts";
import { forwardReturnLabel, tripleBarrierLabel, upperBarrierHit } from "../../models/labels.ts";
import { applyStandardizer, fitStandardizer } from "../../models/standardizer.ts";
import { minuteStamps } from "./synthetic.ts";

describe("walkForwardSplit", () => {
  test("trainFrac: train before test, embargo rows removed from the end of train", () => {
    const ts = minuteStamps(1000);
    expect(walkForwardSplit(ts, { trainFrac: 0.7, embargo: { rows: 5 } })).toEqual([{ train: { start: 0, end: 695 }, test: { start: 700, end: 1000 } }]);
  });

  test("embargo in ns drops train rows within that time of the first test row", () => {
    const ts = minuteStamps(100);
    const [fold] = walkForwardSplit(ts, { trainFrac: 0.5, embargo: { ns: 3n * 60_000_000_000n } });
    // test starts at row 50; rows 47..49 are within 3 minutes
    expect(fold).toEqual({ train: { start: 0, end: 47 }, test: { start: 50, end: 100 } });
  });

  test("rows sharing the first test timestamp never land in train", () => {
    const ts = BigInt64Array.from([1n, 2n, 3n, 3n, 3n, 4n, 5n, 6n]);
    const [fold] = walkForwardSplit(ts, { trainFrac: 0.5 });
    expect(fold!.test.start).toBe(4);
    expect(fold!.train.end).toBe(2);
  });

  test("folds: no overlap, train strictly before test, embargo respected (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 50, max: 2000 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 8 }), (n, folds, embargoRows) => {
        // Feasible splits only: every fold needs train rows left after the embargo (empty folds are
        // rejected with a reason; the next test checks that).
        fc.pre(Math.floor(n / (folds + 1)) > embargoRows + 1);
        const ts = minuteStamps(n);
        const split = walkForwardSplit(ts, { folds, embargo: { rows: embargoRows } });
        expect(split).toHaveLength(folds);
        let previousTestEnd = -1;
        for (const { train, test } of split) {
          expect(train.start).toBe(0);
          expect(train.end).toBeLessThanOrEqual(test.start - embargoRows);
          expect(ts[train.end - 1]!).toBeLessThan(ts[test.start]!);
          expect(test.start).toBeGreaterThanOrEqual(previousTestEnd); // test blocks are disjoint and ordered
          previousTestEnd = test.end;
        }
        expect(split[split.length - 1]!.test.end).toBe(n);
      }),
    );
  });

  test("rejects unsorted timestamps and empty folds with a reason", () => {
    expect(() => walkForwardSplit(BigInt64Array.from([2n, 1n]), { trainFrac: 0.5 })).toThrow(/row 1 .* before row 0/);
    expect(() => walkForwardSplit(minuteStamps(10), { trainFrac: 0.5, embargo: { rows: 5 } })).toThrow(/fold 1 of 1 is empty/);
    expect(() => walkForwardSplit(minuteStamps(10), { trainFrac: 1 })).toThrow(/trainFrac must be in \(0, 1\)/);
  });
});

describe("labels", () => {
  test("forwardReturnLabel: sign of the return over the horizon, NaN without a full horizon", () => {
    const closes = Float64Array.from([10, 11, 10.5, 10.5, 12]);
    expect(Array.from(forwardReturnLabel(closes, 1))).toEqual([1, 0, 0, 1, Number.NaN]);
    expect(Array.from(forwardReturnLabel(closes, 2))).toEqual([1, 0, 1, Number.NaN, Number.NaN]);
  });

  test("no lookahead beyond the horizon: changing later closes leaves earlier labels unchanged", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 100, noNaN: true }), { minLength: 12, maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        (prices, horizon, cut) => {
          const closes = Float64Array.from(prices);
          const k = cut % closes.length; // closes from index k on are replaced
          const changed = closes.map((c, i) => (i >= k ? c * 1.7 + 3 : c));
          const opts = { horizon, upper: 0.02, lower: 0.02 };
          const a = forwardReturnLabel(closes, horizon);
          const b = forwardReturnLabel(changed, horizon);
          const ta = tripleBarrierLabel(closes, opts);
          const tb = tripleBarrierLabel(changed, opts);
          for (let i = 0; i + horizon < k; i++) {
            expect(b[i]).toBe(a[i]);
            expect(tb[i]).toBe(ta[i]);
          }
        },
      ),
    );
  });

  test("tripleBarrierLabel: first barrier touched wins, vertical barrier gives 0", () => {
    const closes = Float64Array.from([100, 101, 103, 99, 96, 100, 100, 100]);
    const labels = tripleBarrierLabel(closes, { horizon: 3, upper: 0.025, lower: 0.03 });
    // row 0: 103 >= 102.5 at j=2 → +1; row 1: up 103.525, down 97.97 → 96 at j=4 → -1
    // row 2: down 99.91 → 99 at j=3 → -1; row 3: up 101.475, down 96.03 → 96 → -1; row 4: up 98.4 → 100 → +1
    expect(Array.from(labels)).toEqual([1, -1, -1, -1, 1, Number.NaN, Number.NaN, Number.NaN]);
    expect(Array.from(upperBarrierHit(labels)).slice(0, 5)).toEqual([1, 0, 0, 0, 1]);
    const flat = tripleBarrierLabel(Float64Array.from([100, 100.1, 99.9, 100]), { horizon: 2, upper: 0.01, lower: 0.01 });
    expect(Array.from(flat).slice(0, 2)).toEqual([0, 0]);
  });

  test("dropUnlabeled keeps labelled rows in order", () => {
    const m = featureMatrix({
      values: Float64Array.from([1, 2, 3, 4, 5, 6]),
      featureNames: ["a", "b"],
      labels: Float64Array.from([1, Number.NaN, 0]),
      timestamps: BigInt64Array.from([1n, 2n, 3n]),
    });
    const kept = dropUnlabeled(m);
    expect(kept.rows).toBe(2);
    expect(Array.from(kept.values)).toEqual([1, 2, 5, 6]);
    expect(Array.from(kept.timestamps)).toEqual([1n, 3n]);
    expect(() => featureMatrix({ ...m, values: new Float64Array(5) })).toThrow(/expected rows × features = 3 × 2 = 6/);
  });
});

describe("standardizer", () => {
  test("mean/std from the rows given (train only); constant feature maps to 0", () => {
    const train = Float64Array.from([1, 5, 3, 5]); // 2 rows × 2 features
    const s = fitStandardizer(train, 2, 2);
    expect(Array.from(s.mean)).toEqual([2, 5]);
    expect(Array.from(s.std)).toEqual([1, 1]);
    expect(Array.from(applyStandardizer(s, Float64Array.from([4, 5]), 1))).toEqual([2, 0]);
  });
});
