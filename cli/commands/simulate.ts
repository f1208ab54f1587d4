// `tickflow simulate`: publish a seeded synthetic market + news feed to JetStream.
import type { Command } from "commander";
import { parseSymbols } from "../context.ts";
import { closeNats, config, connectNats, ensureLocalNats } from "../../app/environment.ts";
import { type FeedResult, publishSimulatedFeed } from "../../sources/simulatedFeed.ts";
import { progressBar } from "../progress.ts";
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
    .option(
      "--start <time>",
      `event time of the first message: ISO-8601, or now (the wall clock, so that a live run started before sees the messages as current; for a reproducible feed give a time, e.g. ${nsToIso(DEFAULT_SIM_START_NS).slice(0, 19)}Z)`,
      "now",
    )
    .option("--trades-per-second <n>", "mean trades per second of event time", "20")
    .action(async (o: { symbols: string; seed: string; rate?: string; count?: string; duration?: string; start: string; tradesPerSecond: string }) => {
      const startNs = o.start === "now" ? BigInt(Date.now()) * 1_000_000n : parseTimeNs(o.start);
      if (startNs === undefined) throw new Error(`--start ${JSON.stringify(o.start)} is neither an ISO-8601 time nor now`);
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
      const count = o.count === undefined ? undefined : Number(o.count);
      // A bar when the total is known (lines without a terminal); an open-ended feed counts in place on a terminal only.
      const bar = count !== undefined ? progressBar("simulate", count, "messages") : undefined;
      // An open-ended feed: counts in place on a terminal; else a line at the start and at most every 10 s.
      let lineAt = -Infinity;
      const openEnded = (k: number): void => {
        if (process.stderr.isTTY) return void process.stderr.write(`\rpublished ${k}`);
        if (Date.now() - lineAt < 10_000) return;
        lineAt = Date.now();
        process.stderr.write(`published ${k}\n`);
      };
      let result: FeedResult;
      try {
        result = await publishSimulatedFeed(nc, {
          symbols: parseSymbols(o.symbols),
          seed: Number(o.seed),
          startNs,
          tradesPerSecond: Number(o.tradesPerSecond),
          rate: o.rate === undefined ? undefined : Number(String(o.rate).replace(/\/s$/, "")),
          count,
          durationNs: o.duration === undefined ? undefined : parseDurationNs(o.duration),
          signal: ac.signal,
          onProgress: (k) => (bar ? bar.update(k) : openEnded(k)),
        });
      } finally {
        bar?.stop();
        process.off("SIGINT", interrupt);
        process.off("SIGTERM", interrupt);
        await closeNats(nc);
      }
      const s = (Date.now() - t0) / 1000;
      if (!bar && process.stderr.isTTY) process.stderr.write("\n");
      const { published, duplicates } = result;
      const fresh = published - duplicates;
      console.log(
        `published ${published} messages in ${s.toFixed(1)} s (${Math.round(published / Math.max(s, 1e-3))} msg/s): ${fresh} new, ${duplicates} already stored` +
          (duplicates > 0
            ? ` (same seed and start as an earlier feed: the stream's duplicate window keeps the first copy; use another --seed or --start, or the default --start now)`
            : ""),
      );
    });
}
