// `tickflow start` (what `npm start` runs): local NATS + streams, a simulated feed, and the reference
// pipeline printing signals, until Ctrl-C; then everything shuts down cleanly (feed stopped, consumers
// stopped, the run checkpointed and closed, DuckDB closed, NATS stopped if this command started it).
import type { Command } from "commander";
import { join } from "node:path";
import { parseSymbols, REPO_ROOT } from "../context.ts";
import { closeNats, config, connectNats, ensureLocalNats, stopLocalNats } from "../../app/environment.ts";
import { publishSimulatedFeed } from "../../sources/simulatedFeed.ts";
import { printSummary } from "../summary.ts";
import { runLive } from "../../app/livePipeline.ts";
import { configureLog } from "../../app/log.ts";

export function register(program: Command): void {
  program
    .command("start")
    .description("the demo: start NATS, simulate a market + news feed, run the reference pipeline and print signals until Ctrl-C")
    .option("--pipeline <file>", "pipeline to run", join(REPO_ROOT, "pipelines", "momentum-sentiment.yaml"))
    .option("--symbols <list>", "simulated symbols", "AAPL,MSFT,NVDA,AMZN,TSLA")
    .option("--seed <n>", "simulator seed", "42")
    .option("--rate <n/s>", "simulated messages per second (wall clock)", "1000")
    .option("--http-port <n>", "dashboard, /metrics, /healthz, /readyz on 127.0.0.1 (default TICKFLOW_HTTP_PORT or 9464; 0 = off)")
    .option("--log <format>", "lifecycle lines on stderr: text or json (default TICKFLOW_LOG or text)")
    .action(async (o: { pipeline: string; symbols: string; seed: string; rate: string; httpPort?: string; log?: string }) => {
      const log = configureLog(o.log);
      const cfg = config();
      const { started } = await ensureLocalNats(cfg);
      // Event time starts at the current minute, so each start is a fresh session of the feed with its own consumers.
      const startNs = (BigInt(Date.now()) / 60_000n) * 60_000n * 1_000_000n;
      const feedNc = await connectNats(cfg, "feed");
      const feedStop = new AbortController();
      try {
        const summary = await runLive(o.pipeline, {
          runId: `start-${new Date(Number(startNs / 1_000_000n)).toISOString().slice(0, 16).replace(/:/g, "-")}`,
          fromNow: true,
          httpPort: o.httpPort,
          log,
          auditOptions: { symbols: o.symbols, seed: o.seed, rate: o.rate },
          onStarted: async ({ banner }) => {
            banner(`simulating ${o.symbols} at ${o.rate} msg/s; signals appear once the 26-bar EMA has warmed up (about half a minute)`);
            await publishSimulatedFeed(feedNc, {
              symbols: parseSymbols(o.symbols),
              seed: Number(o.seed),
              startNs,
              rate: Number(o.rate),
              signal: feedStop.signal,
              // The demo feed waits out an outage as the run does.
              attempts: Infinity,
            });
          },
        });
        printSummary(summary);
      } finally {
        feedStop.abort();
        await closeNats(feedNc);
        if (started) {
          await stopLocalNats();
          log.info("nats.local_stopped", "nats-server stopped");
        }
      }
    });
}
