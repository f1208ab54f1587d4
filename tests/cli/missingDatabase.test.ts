// Read commands refuse a recording that does not exist: a mistyped TICKFLOW_DB gives a clear error and exit 1, not
// a new empty database that answers "0 inputs" with a digest.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");

describe("a missing recording", () => {
  it("is refused by sql, replay, report, check and audit, and not created", () => {
    const dir = mkdtempSync(join(tmpdir(), "tickflow-nodb-"));
    try {
      const db = join(dir, "typo.duckdb");
      const pipeline = join(ROOT, "pipelines", "momentum-sentiment.yaml");
      for (const args of [["sql", "SELECT 1"], ["replay", pipeline], ["report", "some-run"], ["check", "lookahead", pipeline], ["audit"]]) {
        const r = spawnSync(process.execPath, [join(ROOT, "bin", "tickflow.js"), ...args], {
          env: { ...process.env, TICKFLOW_DB: db, TICKFLOW_DATA: dir },
          encoding: "utf8",
          timeout: 30_000,
        });
        expect(r.status, `${args[0]}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toContain(`tickflow: no recording at ${db} (TICKFLOW_DB): record one with tickflow run or tickflow import`);
        expect(existsSync(db)).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
