// tickflow command line: one file per command under cli/commands/, registered here.
import { Command, CommanderError } from "commander";
import { register as up } from "./commands/up.ts";
import { register as simulate } from "./commands/simulate.ts";
import { register as importCmd } from "./commands/import.ts";
import { register as run } from "./commands/run.ts";
import { register as replay } from "./commands/replay.ts";
import { register as sql } from "./commands/sql.ts";
import { register as start } from "./commands/start.ts";
import { register as train } from "./commands/train.ts";
import { register as models } from "./commands/models.ts";
import { register as jobs } from "./commands/jobs.ts";
import { register as audit } from "./commands/audit.ts";
import { register as check } from "./commands/check.ts";
import { register as report } from "./commands/report.ts";

export async function main(argv: string[]): Promise<number> {
  const program = new Command("tickflow")
    .description("Stream-processing dataflow engine for trading: NATS JetStream in, RxJS pipelines, DuckDB recording, deterministic replay")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
  for (const reg of [start, up, simulate, importCmd, run, replay, sql, train, models]) reg(program);
  for (const reg of [jobs, audit]) reg(program); // operations: ops/
  for (const reg of [check, report]) reg(program); // trading: check lookahead, report
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    process.stderr.write(`tickflow: ${(e as Error).message}\n`);
    if (process.env.TICKFLOW_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}
