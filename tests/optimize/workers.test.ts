// The same results whatever the number of workers: inline (0), and real worker threads (1, 2) through the compiled
// worker under dist/ (npm run build), in-process and through `node bin/tickflow.js optimize`.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { withDatabase } from "../helpers/duckdb.ts";
import { CONNECTORS } from "../../app/connectors.ts";
import { compilePipeline } from "../../pipeline/graph.ts";
import { loadInputs, optimizeLoaded, type OptimizeResult } from "../../replay/optimize/optimize.ts";
import { parseParam } from "../../replay/optimize/params.ts";
import { ROOT, SMA_PIPELINE, recordOrcl, smaDeclaration } from "./fixture.ts";

const PARAMS = ["indicators.set.0.period=4..10:2", "indicators.set.1.period=15,25"];

/** What must not depend on the workers: every variant's curve, trades and statistics, and what is derived. */
const essence = (r: OptimizeResult) => ({
  ranking: r.ranking,
  runs: r.runs.map((x) => ({
    ...x,
    ts: Array.from(x.ts, String),
    equity: Array.from(x.equity),
    stats: { ...x.stats, maxDrawdownDurationNs: String(x.stats.maxDrawdownDurationNs) },
  })),
  walkForward: r.walkForward && { ...r.walkForward, ts: Array.from(r.walkForward.ts, String), equity: Array.from(r.walkForward.equity) },
  pbo: r.pbo,
  dsr: r.dsr,
});

describe("optimize with 0, 1 and 2 workers", () => {
  it("gives identical results in-process", async () => {
    await withDatabase(async (db) => {
      await recordOrcl(db);
      const { decl, source } = smaDeclaration();
      const inputs = await loadInputs(db, compilePipeline(decl, source, CONNECTORS));
      const run = (workers: number) =>
        optimizeLoaded(
          { decl, source, connectors: CONNECTORS, params: PARAMS.map(parseParam), walkForward: { folds: 2, inSampleFraction: 0.7 }, pboBlocks: 4, workers },
          inputs,
        );
      const [w0, w1, w2] = [await run(0), await run(1), await run(2)];
      expect(w0.runs).toHaveLength(8);
      expect(w0.runs.some((r) => r.stats.trades > 0)).toBe(true);
      expect(essence(w1)).toEqual(essence(w0));
      expect(essence(w2)).toEqual(essence(w0));
    });
  });

  it("gives identical results through the CLI (dist/), grid and seeded random", async () => {
    await withDatabase(async (db, path) => {
      await recordOrcl(db);
      await db.close();
      const cli = async (...args: string[]) => {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          [join(ROOT, "bin/tickflow.js"), "optimize", SMA_PIPELINE, ...PARAMS.flatMap((p) => ["--param", p]), "--walk-forward", "2", "--json", ...args],
          { env: { ...process.env, TICKFLOW_DB: path }, maxBuffer: 1 << 24 },
        );
        const { seconds: _s, workers: _w, ...rest } = JSON.parse(stdout) as Record<string, unknown>;
        return rest;
      };
      const one = await cli("--workers", "1");
      expect(await cli("--workers", "2")).toEqual(one);
      expect(await cli("--workers", "0")).toEqual(one);
      expect((one as { variants: number }).variants).toBe(8);
      const r1 = await cli("--workers", "2", "--method", "random", "--samples", "3", "--seed", "5");
      expect((r1 as { variants: number }).variants).toBe(3);
      expect(await cli("--workers", "1", "--method", "random", "--samples", "3", "--seed", "5")).toEqual(r1);
    });
  });
});
