// `tickflow import FILE`: recorded market data (bars, ticks) or news (JSONL) into the streams and the recording.
import type { Command } from "commander";
import { accessSync, constants } from "node:fs";
import { closeNats, config, connectNats, ensureLocalNats, openDatabase } from "../../app/environment.ts";
import type { Database } from "../../io/duckdb/database.ts";
import { importFile } from "../../sources/importFile.ts";
import { progressBar } from "../progress.ts";

export function register(program: Command): void {
  program
    .command("import")
    .description("import a recorded file: OHLCV bars (daily/intraday CSV layouts), trade ticks, or news as JSONL")
    .argument("<file>", "CSV market data or .jsonl news")
    .option("--symbol <sym>", "symbol of the series (market data)")
    .option("--format <f>", "auto | yahoo | ohlcv | ticks | news", "auto")
    .option("--timeframe <tf>", "bar timeframe (default: inferred from the timestamps)")
    .action(async (file: string, o: { symbol?: string; format: string; timeframe?: string }) => {
      // A mistyped path fails before a nats-server is started for it.
      try {
        accessSync(file, constants.R_OK);
      } catch (e) {
        throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
      }
      const cfg = config();
      await ensureLocalNats(cfg);
      const nc = await connectNats(cfg, "feed");
      let db: Database | undefined;
      let bar: ReturnType<typeof progressBar> | undefined;
      try {
        db = await openDatabase(cfg);
        const r = await importFile(nc, db, {
          file,
          symbol: o.symbol,
          format: o.format === "auto" ? undefined : (o.format as never),
          timeframe: o.timeframe,
          onProgress: (done, total) => {
            bar ??= progressBar("import", total, "rows");
            bar.update(done, total);
          },
        });
        bar?.stop();
        for (const e of r.errors.slice(0, 20)) process.stderr.write(`${file}:${e.line}: ${e.reason}\n`);
        if (r.errors.length > 20) process.stderr.write(`... and ${r.errors.length - 20} more malformed rows (all in dlq.import and table dead_letters)\n`);
        console.log(
          `imported ${file}: ${r.parsed} ${r.kind === "bar" ? `${r.timeframe} bars` : r.kind === "trade" ? "trades" : "news items"} (layout ${r.layout}); ` +
            `${r.published} new in the stream, ${r.recorded} newly recorded, ${r.errors.length} malformed rows rejected`,
        );
        if (r.errors.length) process.exitCode = r.parsed > 0 ? 0 : 1;
      } finally {
        bar?.stop();
        await db?.close();
        await closeNats(nc);
      }
    });
}
