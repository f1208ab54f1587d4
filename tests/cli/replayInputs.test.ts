// `tickflow replay` reads what the pipeline's sources select: its progress total counts those inputs (not every
// row of the table), and a recording with none of them is an error with a hint, never a digest of nothing.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Database } from "../../io/duckdb/database.ts";
import { BarMessage, type Bar } from "../../schemas/bar.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { orclBars } from "../trading/pipelineHelpers.ts";

const ROOT = join(import.meta.dirname, "../..");
const PIPELINE = join(ROOT, "pipelines", "sma-crossover.yaml");

async function recording(path: string, bars: readonly { bar: Bar; subject: string }[]): Promise<void> {
  const db = await Database.open(path);
  try {
    if (bars.length === 0) await db.run("CREATE TABLE placeholder (x INTEGER)");
    else
      await new DuckDbRecorder(db).writeInputs(
        BarMessage,
        bars.map((b) => b.bar),
        bars.map((b, i) => ({ subject: b.subject, streamSeq: BigInt(i + 1) })),
      );
  } finally {
    await db.close();
  }
}

const replay = (db: string, dir: string, ...extra: string[]) =>
  spawnSync(process.execPath, [join(ROOT, "bin", "tickflow.js"), "replay", PIPELINE, "--no-record", ...extra], {
    env: { ...process.env, TICKFLOW_DB: db, TICKFLOW_DATA: dir, CI: "true" },
    encoding: "utf8",
    timeout: 60_000,
  });

describe("tickflow replay's inputs", () => {
  it("counts only the inputs its sources select: the progress ends at 100 %", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const db = join(dir, "r.duckdb");
      const daily = orclBars().map((bar) => ({ bar, subject: "md.bars.1d.ORCL" }));
      // Hourly bars of another symbol under a subject the pipeline does not read.
      const hourly = orclBars()
        .slice(0, 100)
        .map((b) => ({ bar: { ...b, symbol: "AAA", timeframe: "1h" }, subject: "md.bars.1h.AAA" }));
      await recording(db, [...daily, ...hourly]);
      const r = replay(db, dir);
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stderr.split("\n").filter((l) => l.startsWith("replay:"));
      expect(lines.at(-1)).toBe(`replay: ${daily.length}/${daily.length} events (100%)`);
      expect(r.stdout).toContain(`replayed ${daily.length} events`);
    } finally {
      cleanup();
    }
  }, 90_000);

  it("refuses a recording with nothing for its sources, naming them and how to import", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const db = join(dir, "empty.duckdb");
      await recording(db, []);
      const r = replay(db, dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/nothing to replay: .* holds no recorded inputs for pipeline sma-crossover's sources bars \(bar: md\.bars\.1d\.>\)/);
      expect(r.stderr).toContain("tickflow import");
      expect(r.stdout).not.toContain("digest");
      // A range with nothing in it is refused the same way.
      const other = join(dir, "r.duckdb");
      await recording(
        other,
        orclBars().map((bar) => ({ bar, subject: "md.bars.1d.ORCL" })),
      );
      const late = replay(other, dir, "--from", "2030-01-01T00:00:00Z");
      expect(late.status).toBe(1);
      expect(late.stderr).toMatch(/nothing to replay: .* between 2030-01-01/);
    } finally {
      cleanup();
    }
  }, 90_000);
});
