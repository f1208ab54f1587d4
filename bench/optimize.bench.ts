// `tickflow optimize` against the same sweep run as separate `tickflow replay` processes, both whole processes in
// the same run, on 20 years of ORCL daily bars (../shared/data) through pipelines/sma-crossover.yaml.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../io/duckdb/database.ts";
import { PACKAGE_ROOT } from "../io/packageRoot.ts";
import { BarMessage } from "../schemas/bar.ts";
import { DuckDbRecorder } from "../sinks/duckDbRecorder.ts";
import { parseMarketFile } from "../sources/importers/parseMarketFile.ts";
import type { BenchRow } from "./types.ts";

const ORCL = join(PACKAGE_ROOT, "..", "shared", "data", "market", "orcl-1995-2014.txt");
const PIPELINE = join(PACKAGE_ROOT, "pipelines", "sma-crossover.yaml");
const BIN = join(PACKAGE_ROOT, "bin", "tickflow.js");
/** 6 × 5 = 30 variants. */
const PARAMS = ["--param", "indicators.set.0.period=5..30:5", "--param", "indicators.set.1.period=20..60:10"];
const REPLAYS = 3;

export async function run(): Promise<BenchRow[]> {
  if (!existsSync(ORCL)) return [];
  const dir = mkdtempSync(join(tmpdir(), "tickflow-bench-opt-"));
  try {
    const dbPath = join(dir, "rec.duckdb");
    const parsed = parseMarketFile(readFileSync(ORCL, "utf8"), { symbol: "ORCL", file: ORCL });
    if (parsed.kind !== "bar") throw new Error("ORCL did not parse as bars");
    const db = await Database.open(dbPath);
    try {
      await new DuckDbRecorder(db).writeInputs(
        BarMessage,
        parsed.bars,
        parsed.bars.map((_, i) => ({ subject: "md.bars.1d.ORCL", streamSeq: BigInt(i + 1) })),
      );
    } finally {
      await db.close();
    }
    const env = { ...process.env, TICKFLOW_DB: dbPath, TICKFLOW_DATA: dir, CI: "true" };
    const timed = (args: string[]): number => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8", timeout: 600_000 });
      if (r.status !== 0) throw new Error(`tickflow ${args.join(" ")} failed: ${r.stderr}`);
      return (performance.now() - t0) / 1000;
    };
    const variants = 30;
    const two = timed(["optimize", PIPELINE, ...PARAMS, "--workers", "2"]);
    const one = timed(["optimize", PIPELINE, ...PARAMS, "--workers", "1"]);
    let replays = 0;
    for (let i = 0; i < REPLAYS; i++) replays += timed(["replay", PIPELINE, "--no-record"]);
    const note = `sma-crossover on ORCL 1995-2014, ${variants} variants, whole processes`;
    return [
      { group: "optimize", name: "tickflow optimize, 2 workers", value: variants / two, unit: "variants/s", note },
      { group: "optimize", name: "tickflow optimize, 1 worker", value: variants / one, unit: "variants/s", note },
      {
        group: "optimize",
        name: "baseline: separate tickflow replay processes",
        value: REPLAYS / replays,
        unit: "variants/s",
        note: `${REPLAYS} replays, ${(replays / REPLAYS).toFixed(2)} s each`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
