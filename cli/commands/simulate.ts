// `tickflow simulate`: publish a seeded synthetic market + news feed to JetStream.
import type { Command } from "commander";
import { parseSymbols } from "../context.ts";
import { closeNats, config, connectNats, ensureLocalNats } from "../../app/environment.ts";
import { publishSimulatedFeed } from "../../sources/simulatedFeed.ts";
import { DEFAULT_SIM_START_NS } from "../../sources/simulator.ts";
import { nsToIso, parseDurationNs, parseTimeNs } from "../../schemas/time.ts";

export function register(program: Command): void {
  program
    .command("simulate")
    .description("publish a seeded synthetic feed (GBM trades with jumps, news that moves prices); same seed and start, same messages")
    .option("--symbols <list>", "comma-separated symbols", "AAPL,MSFT,NVDA,AMZN,TSLA")
    .option("--seed <n>", "random seed", "42")
    .option("--rate <n/s>", "wall-clock publish rate in messages per second (default: as fast as possible)")
    .option("--count <n>", "number of messages")
    .option("--duration <d>", "event-time span, e.g. 60s, 30m, 6h")
    .option("--start <time>", "event time of the first message (ISO-8601)", nsToIso(DEFAULT_SIM_START_NS))
    .option("--trades-per-second <n>", "mean trades per second of event time", "20")
    .action(async (o: { symbols: string; seed: string; rate?: string; count?: string; duration?: string; start: string; tradesPerSecond: string }) => {
      const startNs = parseTimeNs(o.start);
      if (startNs === undefined) throw new Error(`--start ${JSON.stringify(o.start)} is not an ISO-8601 time`);
      if (o.count === undefined && o.duration === undefined && o.rate === undefined)
        throw new Error("give --count N or --duration D (or --rate N/s to publish until Ctrl-C)");
      const cfg = config();
      // Like import and run: the local server is started when none answers, and stopped again when this command ends.
      await ensureLocalNats(cfg);
      const nc = await connectNats(cfg, "feed");
      // Ctrl-C ends the feed after the messages in flight; a second one exits at once (Node's default).
      const ac = new AbortController();
      const interrupt = (): void => ac.abort();
      process.once("SIGINT", interrupt);
      process.once("SIGTERM", interrupt);
      const t0 = Date.now();
      let n: number;
      try {
        n = await publishSimulatedFeed(nc, {
          symbols: parseSymbols(o.symbols),
          seed: Number(o.seed),
          startNs,
          tradesPerSecond: Number(o.tradesPerSecond),
          rate: o.rate === undefined ? undefined : Number(String(o.rate).replace(/\/s$/, "")),
          count: o.count === undefined ? undefined : Number(o.count),
          durationNs: o.duration === undefined ? undefined : parseDurationNs(o.duration),
          signal: ac.signal,
          onProgress: (k) => process.stderr.write(`\rpublished ${k}`),
        });
      } finally {
        process.off("SIGINT", interrupt);
        process.off("SIGTERM", interrupt);
        await closeNats(nc);
      }
      const s = (Date.now() - t0) / 1000;
      process.stderr.write("\n");
      console.log(`published ${n} messages in ${s.toFixed(1)} s (${Math.round(n / Math.max(s, 1e-3))} msg/s)`);
    });
}
