// Replay streams the recording chunk by chunk: a recording whose events would not fit in a small V8 heap
// replays in a child process limited to 48 MiB of old space, to the same digest as an in-process replay.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { Database } from "../../io/duckdb/database.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { simulate, DEFAULT_SIM_START_NS } from "../../sources/simulator.ts";
import { simulatedBatch } from "../../sources/simulatedFeed.ts";
import { NewsMessage, TradeMessage } from "../../schemas/index.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { replay } from "../../replay/replay.ts";
import { tempDir } from "../helpers/duckdb.ts";

const ROOT = join(import.meta.dirname, "../..");
const EVENTS = 400_000;

describe("bounded-memory replay", () => {
  it("replays 400k recorded events in a 48 MiB heap to the in-process digest", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, "big.duckdb");
      const db = await Database.open(path);
      const sink = new DuckDbRecorder(db);
      const gen = simulate({ symbols: ["AAPL", "MSFT", "NVDA", "AMZN"], seed: 9, startNs: DEFAULT_SIM_START_NS, tradesPerSecond: 20 });
      for (let done = 0; done < EVENTS; ) {
        const b = simulatedBatch(gen, Math.min(100_000, EVENTS - done), BigInt(done + 1));
        done += b.taken;
        await sink.writeInputs(TradeMessage, b.trades, b.tradeOrigins);
        await sink.writeInputs(NewsMessage, b.news, b.newsOrigins);
      }
      const inProcess = await replay({ pipeline: await loadPipeline(join(ROOT, "pipelines/momentum-sentiment.yaml")), db, runId: "in-process", record: false });
      await db.close();
      expect(inProcess.counters.inputs).toBe(EVENTS);

      const { stdout } = await promisify(execFile)(
        process.execPath,
        [join(ROOT, "bin/tickflow.js"), "replay", join(ROOT, "pipelines/momentum-sentiment.yaml"), "--no-record"],
        {
          env: { ...process.env, TICKFLOW_DB: path, NODE_OPTIONS: "--max-old-space-size=48" },
          maxBuffer: 1 << 20,
        },
      );
      const lines = stdout.trim().split("\n");
      expect(lines.at(-1)).toBe(`digest: ${inProcess.digest}`);
      expect(stdout).toContain(`replayed ${EVENTS} events`);
    } finally {
      cleanup();
    }
  }, 180_000);
});
