// `tickflow start` (what `npm start` runs): local NATS + streams, a simulated feed, and the reference
// pipeline printing signals, until Ctrl-C; then everything shuts down cleanly.
import type { Command } from "commander";
import { join } from "node:path";
import { config, connectNats, ensureLocalNats, onInterrupt, openDatabase, parseSymbols, REPO_ROOT, stopLocalNats } from "../context.ts";
import { loadPipeline } from "../../engine/pipeline/load.ts";
import { LiveRun } from "../../engine/liveRun.ts";
import { publishSimulatedFeed } from "../../sources/simulatedFeed.ts";
import { printSummary } from "./run.ts";

export function register(program: Command): void {
  program
    .command("start")
    .description("the demo: start NATS, simulate a market + news feed, run the reference pipeline and print signals until Ctrl-C")
    .option("--pipeline <file>", "pipeline to run", join(REPO_ROOT, "pipelines", "momentum-sentiment.yaml"))
    .option("--symbols <list>", "simulated symbols", "AAPL,MSFT,NVDA,AMZN,TSLA")
    .option("--seed <n>", "simulator seed", "42")
    .option("--rate <n/s>", "simulated messages per second (wall clock)", "1000")
    .action(async (o: { pipeline: string; symbols: string; seed: string; rate: string }) => {
      const cfg = config();
      const { started } = await ensureLocalNats(cfg);
      const nc = await connectNats(cfg);
      const db = await openDatabase(cfg);
      const pipeline = loadPipeline(o.pipeline);
      // Event time starts at the current minute, so each start is a fresh session of the feed.
      const startNs = (BigInt(Date.now()) / 60_000n) * 60_000n * 1_000_000n;
      const runId = `live-${pipeline.decl.name}-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      const live = new LiveRun({ pipeline, nc, db, runId, consumerPrefix: `${pipeline.decl.name}-start-${startNs}` });
      const feedStop = new AbortController();
      let resolveStop!: () => void;
      const stopped = new Promise<void>((r) => (resolveStop = r));
      const off = onInterrupt(async () => resolveStop());
      try {
        await live.start();
        process.stderr.write(
          `tickflow: NATS ${cfg.natsUrl}${started ? " (started here)" : ""}, DuckDB ${cfg.dbPath}, pipeline ${pipeline.decl.name}, run ${runId}\n` +
            `tickflow: simulating ${o.symbols} at ${o.rate} msg/s; signals appear once the 26-bar EMA has warmed up (about half a minute). Ctrl-C to stop.\n`,
        );
        const feed = publishSimulatedFeed(nc, { symbols: parseSymbols(o.symbols), seed: Number(o.seed), startNs, rate: Number(o.rate), signal: feedStop.signal });
        await Promise.race([stopped, feed]);
        feedStop.abort();
        await feed.catch(() => undefined);
        const summary = await live.stop();
        printSummary(summary);
      } finally {
        off();
        await nc.drain().catch(() => undefined);
        await db.close();
        if (started) {
          await stopLocalNats();
          process.stderr.write("tickflow: nats-server stopped\n");
        }
      }
    });
}
