// A run keeps the instrument specs of its pipeline, so a later report books trades with the same multipliers.
import { describe, expect, it } from "vitest";
import { runInstruments, startRunRecord } from "../../replay/runs.ts";
import { withDatabase } from "../helpers/duckdb.ts";

describe("runInstruments", () => {
  it("returns what the run recorded, and nothing for an unknown run", async () => {
    await withDatabase(async (db) => {
      const es = { symbol: "ES", multiplier: 50, initialMargin: 12_000 };
      await startRunRecord(db, { runId: "r1", pipeline: "p", mode: "replay", startedAt: 1n, params: { instruments: [es] } });
      expect(await runInstruments(db, "r1")).toEqual([es]);
      expect(await runInstruments(db, "nope")).toEqual([]);
    });
  });
});
