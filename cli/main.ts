// tickflow command line: one file per command under cli/commands/. Only the invoked command's module is loaded
// (each pulls in DuckDB, NATS, onnxruntime... as it needs them), so `tickflow --help` starts in a fraction of a second.
import { Command, CommanderError } from "commander";
import { exitStatusOf, isTickflowError } from "../core/errors.ts";

type Register = (program: Command) => void;

/** Every command: its one-line summary (the same text as its own description; a test keeps them equal) and its module. */
export const COMMANDS: readonly { readonly name: string; readonly summary: string; load(): Promise<{ register: Register }> }[] = [
  {
    name: "start",
    summary: "the demo: start NATS, simulate a market + news feed, run the reference pipeline and print signals until Ctrl-C",
    load: () => import("./commands/start.ts"),
  },
  {
    name: "up",
    summary: "start the local nats-server with JetStream (unless NATS_URL names a running one) and create/update the streams",
    load: () => import("./commands/up.ts"),
  },
  { name: "down", summary: "stop the local nats-server that `tickflow up` started", load: () => import("./commands/up.ts") },
  {
    name: "simulate",
    summary: "publish a seeded synthetic feed (GBM trades with jumps, news that moves prices); same seed and start, same messages",
    load: () => import("./commands/simulate.ts"),
  },
  {
    name: "import",
    summary: "import a recorded file: OHLCV bars (daily/intraday CSV layouts), trade ticks, or news as JSONL",
    load: () => import("./commands/import.ts"),
  },
  {
    name: "run",
    summary: "run a pipeline live on the JetStream feeds until Ctrl-C; records inputs and outputs in DuckDB",
    load: () => import("./commands/run.ts"),
  },
  {
    name: "replay",
    summary: "replay the recorded inputs through a pipeline; prints a summary ending with `digest: <hex>`",
    load: () => import("./commands/replay.ts"),
  },
  {
    name: "sql",
    summary: "run SQL over the recording (tables: trades, bars, news, signals, features, runs, dead_letters ...)",
    load: () => import("./commands/sql.ts"),
  },
  {
    name: "export",
    summary: "export one recorded run (its runs row, the inputs it processed, its outputs) as Parquet or Arrow IPC files, one per table, for pandas or polars",
    load: () => import("./commands/export.ts"),
  },
  {
    name: "backup",
    summary: "export the whole recording as Parquet into a new directory, with a manifest of its tables, row counts and file checksums",
    load: () => import("./commands/backup.ts"),
  },
  {
    name: "restore",
    summary: "restore a backup made by `tickflow backup` into a new recording file; checks every file's sha256 and every table's row count",
    load: () => import("./commands/backup.ts"),
  },
  {
    name: "train",
    summary: "train a model on the features a run recorded (labels by SQL, walk-forward with embargo), export ONNX, verify, register",
    load: () => import("./commands/train.ts"),
  },
  { name: "models", summary: "list registered models, or deploy one to running pipelines", load: () => import("./commands/models.ts") },
  {
    name: "catalog",
    summary:
      "list every operator, source connector, sink type and indicator with its parameters; with a name, that entry in full; --markdown prints the reference (docs/reference.md)",
    load: () => import("./commands/catalog.ts"),
  },
  {
    name: "schemas",
    summary: "list the JSON Schema file of every message type (for subscribers in any language); --write writes them",
    load: () => import("./commands/schemas.ts"),
  },
  { name: "jobs", summary: "scheduled jobs (compact, retention, reports): list them, or run one now", load: () => import("./commands/jobs.ts") },
  {
    name: "status",
    summary: "streams, consumers, running pipelines and their health, deployed models, latest runs and jobs; exit code 1 if something needs a look",
    load: () => import("./commands/status.ts"),
  },
  {
    name: "verify",
    summary: "verify the signatures of the messages a stream holds (orders, fills, signals); exit code 1 if any is rejected",
    load: () => import("./commands/verify.ts"),
  },
  {
    name: "secrets",
    summary: "secrets at rest (NATS credentials, HMAC keys), AES-256-GCM under a master key file: init, set, list, export, delete, rotate",
    load: () => import("./commands/secrets.ts"),
  },
  { name: "audit", summary: "show the audit trail; --verify checks its hash chain and anchor", load: () => import("./commands/audit.ts") },
  { name: "check", summary: "checks a pipeline against the recording", load: () => import("./commands/check.ts") },
  {
    name: "optimize",
    summary: "sweep a pipeline's parameters over the recording (grid or seeded random), rank by a statistic, walk-forward, PBO and deflated Sharpe",
    load: () => import("./commands/optimize.ts"),
  },
  {
    name: "report",
    summary: "write a self-contained HTML report of a trading run: equity, drawdown, positions, trades on price, statistics, trade list",
    load: () => import("./commands/report.ts"),
  },
  {
    name: "dashboard",
    summary: "serve the dashboard of a recorded run (candles, trading state, news, graph) from the recording until Ctrl-C",
    load: () => import("./commands/dashboard.ts"),
  },
];

export function newProgram(): Command {
  return new Command("tickflow")
    .description("Stream-processing dataflow engine for trading: NATS JetStream in, RxJS pipelines, DuckDB recording, deterministic replay")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
}

export async function main(argv: string[]): Promise<number> {
  const program = newProgram();
  const name = argv[2] === "help" ? argv[3] : argv[2];
  // `train sentiment` is its own command (the price-model `train` requires --pipeline and --run).
  const invoked =
    name === "train" && argv[argv[2] === "help" ? 4 : 3] === "sentiment"
      ? { load: () => import("./commands/trainSentiment.ts") }
      : COMMANDS.find((c) => c.name === name);
  // TICKFLOW_LOG is checked for every command: a misconfiguration is refused, never ignored.
  const { processLog, resolveLogFormat } = await import("../app/log.ts");
  try {
    resolveLogFormat(undefined);
  } catch (e) {
    process.stderr.write(errorReport(e, false));
    return exitStatusOf(e);
  }
  if (invoked) (await invoked.load()).register(program);
  // No (known) command: the overview lists every command by its summary without loading any of them.
  else for (const c of COMMANDS) program.command(c.name).description(c.summary).helpOption(false);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    // A damaged recording found while reading it (DuckDB checks a block when it reads it): say what to do.
    const shown = (await import("../app/recordingCheck.ts")).explainRecordingDamage(e);
    const log = processLog();
    if (log.format === "json") {
      // One JSON line a collector can alert on: the message, the code, and every cause below it.
      const causes: string[] = [];
      for (let at = shown instanceof Error ? shown.cause : undefined; at instanceof Error && causes.length < 10; at = at.cause) causes.push(at.message);
      log.error("command.failed", shown instanceof Error ? shown.message : String(shown), {
        command: name ?? null,
        code: isTickflowError(shown) ? shown.code : null,
        ...(causes.length ? { causes } : {}),
      });
    } else process.stderr.write(errorReport(shown, Boolean(process.env.TICKFLOW_DEBUG)));
    return exitStatusOf(shown);
  }
}

/**
 * What a failed command prints: `tickflow: <message>`, then ` [<code>]` when it is a TickflowError; with `debug`
 * (TICKFLOW_DEBUG) the stack, then every `cause` below it as `caused by [<code>]: <stack>`.
 * @example errorReport(new ModelLoadError("model m.onnx: cannot read file (ENOENT)", "m.onnx"), false) // "tickflow: model m.onnx: cannot read file (ENOENT) [MODEL_LOAD_FAILED]\n"
 */
export function errorReport(e: unknown, debug: boolean): string {
  let out = `tickflow: ${e instanceof Error ? e.message : String(e)}${isTickflowError(e) ? ` [${e.code}]` : ""}\n`;
  if (!debug) return out;
  const seen = new Set<unknown>();
  for (let at: unknown = e, first = true; at !== undefined && !seen.has(at); at = at instanceof Error ? at.cause : undefined, first = false) {
    seen.add(at);
    const text = at instanceof Error ? (at.stack ?? `${at.name}: ${at.message}`) : String(at);
    out += `${first ? "" : `caused by${isTickflowError(at) ? ` [${at.code}]` : ""}: `}${text}\n`;
  }
  return out;
}
