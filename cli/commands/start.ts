// `tickflow start` (what `npm start` runs): local NATS + streams, a simulated feed, and the reference
// pipeline printing signals, until Ctrl-C; then everything shuts down cleanly.
import type { Command } from "commander";
import { join } from "node:path";
import { config, connectNats, ensureLocalNats, onInterrupt, openDatabase, parseSymbols, REPO_ROOT, stopLocalNats } from "../context.ts";
import { loadPipeline } from "../../engine/pipeline/load.ts";
import { LiveRun } from "../../engine/liveRun.ts";
import { publishSimulatedFeed } from "../../sources/simulatedFeed.ts";
import { printSummary } from "./run.ts";
import { LiveOps, resolveHttpPort } from "../../ops/liveOps.ts";

export function register(program: Command): void {
  program
    .command("start")
    .description("the demo: start NATS, simulate a market + news feed, run the reference pipeline and print signals until Ctrl-C")
    .option("--pipeline <file>", "pipeline to run", join(REPO_ROOT, "pipelines", "momentum-sentiment.yaml"))
    .option("--symbols <list>", "simulated symbols", "AAPL,MSFT,NVDA,AMZN,TSLA")
    .option("--seed <n>", "simulator seed", "42")
    .option("--rate <n/s>", "simulated messages per second (wall clock)", "1000")
    .option("--http-port <n>", "dashboard, /metrics, /healthz, /readyz on 127.0.0.1 (default TICKFLOW_HTTP_PORT or 9464; 0 = off)")
    .action(async (o: { pipeline: string; symbols: string; seed: string; rate: string; httpPort?: string }) => {
      const cfg = config();
      const httpPort = resolveHttpPort(o.httpPort);
      const { started } = await ensureLocalNats(cfg);
      const nc = await connectNats(cfg);
      const db = await openDatabase(cfg);
      const pipeline = loadPipeline(o.pipeline);
      // Event time starts at the current minute, so each start is a fresh session of the feed.
      const startNs = (BigInt(Date.now()) / 60_000n) * 60_000n * 1_000_000n;
      const runId = `live-${pipeline.decl.name}-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      const ops = await LiveOps.start({ nc, db, pipeline, runId, config: cfg, httpPort, options: { symbols: o.symbols, seed: o.seed, rate: o.rate } });
      const live = new LiveRun({ pipeline, nc, db, runId, consumerPrefix: `${pipeline.decl.name}-start-${startNs}`, metrics: ops.hooks });
      ops.attach(live);
      const feedStop = new AbortController();
      let resolveStop!: () => void;
      const stopped = new Promise<void>((r) => (resolveStop = r));
      const off = onInterrupt(async () => resolveStop());
      try {
        await live.start();
        await ops.running();
        process.stderr.write(
          `tickflow: NATS ${cfg.natsUrl}${started ? " (started here)" : ""}, DuckDB ${cfg.dbPath}, pipeline ${pipeline.decl.name}, run ${runId}\n` +
            (ops.url ? `tickflow: dashboard ${ops.url} (metrics ${ops.url}metrics)\n` : "") +
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
        await ops.close();
        await nc.drain().catch(() => undefined);
        await db.close();
        if (started) {
          await stopLocalNats();
          process.stderr.write("tickflow: nats-server stopped\n");
        }
      }
    });
}
