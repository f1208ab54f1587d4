// Replay streams the recording chunk by chunk: a recording whose events would not fit in a small V8 heap
// replays in a child process limited to 48 MiB of old space, to the same digest as an in-process replay.
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { Database } from "../../io/duckdb/database.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { simulate, DEFAULT_SIM_START_NS } from "../../sources/simulator.ts";
import { NewsMessage, TradeMessage, type News, type Trade } from "../../schemas/index.ts";
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
      let seq = 0n;
      for (let done = 0; done < EVENTS; ) {
        const trades: Trade[] = [];
        const news: News[] = [];
        const tm: { subject: string; streamSeq: bigint }[] = [];
        const nm: { subject: string; streamSeq: bigint }[] = [];
        for (let i = 0; i < 100_000 && done < EVENTS; i++, done++) {
          const m = gen.next().value!;
          seq++;
          if (m.kind === "trade") {
            trades.push(m.msg);
            tm.push({ subject: `md.trades.${m.msg.symbol}`, streamSeq: seq });
          } else {
            news.push(m.msg);
            nm.push({ subject: "news.simwire", streamSeq: seq });
          }
        }
        await sink.writeInputs(TradeMessage, trades, tm);
        await sink.writeInputs(NewsMessage, news, nm);
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
