// Baselines beside every training metric and the leakage guard: each figure checked against a direct computation,
// each verdict and refusal fails if its rule is removed.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { backtestBaselines, baselineVerdict, classificationBaselines } from "../../models/baselines.ts";
import { LeakageError, leakageProblems } from "../../models/leakage.ts";
import { mulberry32 } from "../../models/prng.ts";
import { ModelSlot } from "../../models/modelSlot.ts";
import { parseLabelSpec } from "../../models/recordedFeatures.ts";
import { ModelRegistry } from "../../models/registry.ts";
import { trainFromRecording } from "../../models/trainFromRecording.ts";
import { bindModelSlots } from "../../pipeline/catalog/models.ts";
import { replay } from "../../replay/replay.ts";
import { tempDir, withDatabase } from "../helpers/duckdb.ts";
import { FEATURES, modelPipeline, recordInputs, simulatedInputs } from "./recording.ts";

describe("classification baselines", () => {
  it("majority and base rate come from the training labels; a model with no skill sits inside the AUC null band", () => {
    const yTrain = Float64Array.from([1, 1, 1, 0, 1, 0, 1, 1, 0, 1]); // rate 0.7
    const rand = mulberry32(5);
    const yTest = Float64Array.from({ length: 400 }, () => (rand() < 0.6 ? 1 : 0));
    const noise = Float64Array.from({ length: 400 }, () => rand());
    const b = classificationBaselines(yTrain, yTest, noise, { seed: 3 });
    const ones = yTest.reduce((a, y) => a + y, 0);
    expect(b.majorityAccuracy).toBeCloseTo(ones / 400, 12);
    const ll = -yTest.reduce((a, y) => a + (y === 1 ? Math.log(0.7) : Math.log(0.3)), 0) / 400;
    expect(b.baseRateLogLoss).toBeCloseTo(ll, 12);
    expect(b.aucNullBand[0]).toBeLessThan(0.5);
    expect(b.aucNullBand[1]).toBeGreaterThan(0.5);
    expect(b.aucNullBand[1] - b.aucNullBand[0]).toBeLessThan(0.2);
    // Seeded: the same band every time.
    expect(classificationBaselines(yTrain, yTest, noise, { seed: 3 }).aucNullBand).toEqual(b.aucNullBand);
    const fails = baselineVerdict({ accuracy: 0.5, logLoss: 0.7, auc: 0.51 }, b);
    expect(fails).toEqual([
      expect.stringMatching(/accuracy 0.5000 does not beat always-majority/),
      expect.stringMatching(/log loss 0.7000 is no better than the base rate/),
      expect.stringMatching(/AUC 0.5100 is inside the permutation null band/),
    ]);
    const skilled = Float64Array.from(yTest, (y, i) => 0.5 + (y - 0.5) * 0.8 + (noise[i]! - 0.5) * 0.1);
    expect(baselineVerdict({ accuracy: 0.95, logLoss: 0.3, auc: 0.99 }, classificationBaselines(yTrain, yTest, skilled))).toEqual([]);
  });
});

describe("random signals with the same exposure", () => {
  it("a signal long exactly on the up bars beats them all; one long on the down bars beats none", () => {
    const rand = mulberry32(9);
    const r = Float64Array.from({ length: 300 }, () => (rand() - 0.5) * 0.02);
    const symbols = Array.from({ length: 300 }, (_, i) => (i % 2 ? "A" : "B"));
    const oracle = Float64Array.from(r, (x) => (x > 0 ? 0.9 : 0.1));
    const anti = Float64Array.from(r, (x) => (x > 0 ? 0.1 : 0.9));
    const ret = (p: Float64Array) => {
      const m = new Map<string, number>();
      p.forEach((q, i) => m.set(symbols[i]!, (m.get(symbols[i]!) ?? 1) * (1 + (q > 0.5 ? r[i]! : 0))));
      return [...m.values()].reduce((a, v) => a + v - 1, 0) / m.size;
    };
    expect(backtestBaselines(oracle, symbols, r, ret(oracle)).modelPercentile).toBe(1);
    expect(backtestBaselines(anti, symbols, r, ret(anti)).modelPercentile).toBe(0);
    const b = backtestBaselines(oracle, symbols, r, ret(oracle), { seed: 4 });
    expect(b.randomReturn.p5).toBeLessThanOrEqual(b.randomReturn.p50);
    expect(b.randomReturn.p50).toBeLessThanOrEqual(b.randomReturn.p95);
  });
});

describe("leakage guard", () => {
  const series = (n: number) => {
    const rand = mulberry32(21);
    const symbols: string[] = [];
    const closes = new Float64Array(n);
    const last = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const s = i % 2 ? "A" : "B";
      symbols.push(s);
      closes[i] = (last.get(s) ?? 100) * (1 + (rand() - 0.5) * 0.02);
      last.set(s, closes[i]!);
    }
    // Label: up over the next 3 bars of the same symbol.
    const bySym = new Map<string, number[]>();
    symbols.forEach((s, i) => (bySym.get(s) ?? bySym.set(s, []).get(s)!).push(i));
    const y = new Float64Array(n);
    const nextClose = new Float64Array(n).fill(Number.NaN);
    for (const rows of bySym.values())
      rows.forEach((row, j) => {
        y[row] = rows[j + 3] !== undefined && closes[rows[j + 3]!]! > closes[row]! ? 1 : 0;
        nextClose[row] = rows[j + 1] !== undefined ? closes[rows[j + 1]!]! : closes[row]!;
      });
    return { symbols, closes, y, nextClose, rand };
  };

  it("names a feature that is the close shifted forward, and one that predicts the label too well; passes honest ones", () => {
    const n = 600;
    const { symbols, closes, y, nextClose, rand } = series(n);
    const names = ["honest", "next_close", "label_echo"];
    const X = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      X[i * 3] = rand();
      X[i * 3 + 1] = nextClose[i]!;
      X[i * 3 + 2] = y[i]! + (rand() - 0.5) * 0.2;
    }
    const problems = leakageProblems({ featureNames: names, X, y, symbols, closes, horizon: 3, trainEnd: 400 });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^feature next_close equals the close 1 bar later on \d+ of \d+ training rows/);
    expect(problems[1]).toMatch(/^feature label_echo alone predicts the label with AUC 1\.0000 on the training rows/);
  });

  it("stops tickflow train on a recording with a leaky feature, and --no-leak-check lets it through", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await withDatabase(async (db) => {
        await recordInputs(db, simulatedInputs(300));
        await replay({ pipeline: bindModelSlots(modelPipeline(), new Map([["scored", new ModelSlot([...FEATURES])]])), db, runId: "r", now: () => 0n });
        // A recorded feature holding the close 1 bar later: what a leaky user operator would have written.
        await db.run(`UPDATE features SET "values" = json_merge_patch("values", json_object('next_close', nc))::VARCHAR
          FROM (SELECT id AS fid, LEAD(TRY_CAST(json_extract_string("values", '$.close') AS DOUBLE)) OVER (PARTITION BY symbol ORDER BY ts_event) AS nc FROM features WHERE run_id = 'r') x
          WHERE features.id = x.fid AND x.nc IS NOT NULL`);
        const registry = await ModelRegistry.open(db, { directory: join(dir, "models"), clock: { nowNs: () => 1n } });
        const train = (leakCheck: boolean) =>
          trainFromRecording(db, registry, {
            pipeline: "sim-model",
            runId: "r",
            label: parseLabelSpec("fwd_return:5"),
            kind: "logreg",
            features: ["ret", "rsi", "next_close"],
            leakCheck,
          });
        await expect(train(true)).rejects.toThrow(LeakageError);
        await expect(train(true)).rejects.toThrow(/feature next_close equals the close 1 bar later/);
        const r = await train(false);
        expect(r.baselines.classification.permutations).toBe(200);
      });
    } finally {
      cleanup();
    }
  }, 120_000);
});
