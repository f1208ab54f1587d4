// `tickflow run PIPELINE`: a long-running live pipeline process, until Ctrl-C.
import type { Command } from "commander";
import { runLive } from "../../app/livePipeline.ts";
import { configureLog } from "../../app/log.ts";
import { printSummary } from "../summary.ts";

export function register(program: Command): void {
  program
    .command("run")
    .description("run a pipeline live on the JetStream feeds until Ctrl-C; records inputs and outputs in DuckDB")
    .argument("<pipeline>", "pipeline declaration (YAML or JSON)")
    .option("--run-id <id>", "the run: the same id resumes from its checkpoint, a new one starts afresh (default: live-<pipeline>)")
    .option("--consumer <prefix>", "durable consumer prefix (default: the run id)")
    .option("--from-now", "new consumers start at messages published from now on (default: the first stored message)")
    .option("--quiet", "do not print console sinks")
    .option("--http-port <n>", "dashboard, /metrics, /healthz, /readyz on 127.0.0.1 (default TICKFLOW_HTTP_PORT or 9464; 0 = off)")
    .option("--log <format>", "lifecycle lines on stderr: text, or json (one object per line, for journald or a collector) (default TICKFLOW_LOG or text)")
    .action(async (file: string, o: { runId?: string; consumer?: string; fromNow?: boolean; quiet?: boolean; httpPort?: string; log?: string }) => {
      const log = configureLog(o.log);
      const summary = await runLive(file, { ...o, log });
      printSummary(summary);
    });
}
