// The process log of the long-running commands (`tickflow run`, `tickflow start`): lifecycle lines only (started,
// stopping, stopped, outages and recoveries, deployments, refusals, the failure that ended the command), never a
// line per event. Two formats: `text` ("tickflow: ..." lines for a terminal) and `json` (pino: one JSON object per
// line on stderr, `{level, time, event, msg, ...fields}`, for journald or a log collector). stdout stays the
// command's output (console sinks, the run summary) in both.
import { createRequire } from "node:module";
import type { Logger } from "pino";
import { TickflowError } from "../core/errors.ts";

export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** `--log` or TICKFLOW_LOG is neither `text` nor `json`: refused at start, never ignored. */
export class LogFormatError extends TickflowError {
  static override readonly code = "LOG_FORMAT_INVALID";
  static override readonly refusal = true;
  override readonly name = "LogFormatError";
}

export type LogLevel = "info" | "warn" | "error";
export type LogFields = Readonly<Record<string, unknown>>;

export interface Log {
  readonly format: LogFormat;
  /** One lifecycle event: a stable dotted name (`run.started`), a sentence for people, and fields for machines. */
  write(level: LogLevel, event: string, msg: string, fields?: LogFields): void;
  info(event: string, msg: string, fields?: LogFields): void;
  warn(event: string, msg: string, fields?: LogFields): void;
  error(event: string, msg: string, fields?: LogFields): void;
  /** A log whose every line carries `fields` too (e.g. the run id and pipeline). */
  child(fields: LogFields): Log;
  /** A `(line) => void` for components that report in sentences: each line becomes one `event` at `level`. */
  lines(event: string, level?: LogLevel): (line: string) => void;
}

/** The format from `--log`, else TICKFLOW_LOG, else text; anything else is refused. */
export function resolveLogFormat(option: string | undefined, env: NodeJS.ProcessEnv = process.env): LogFormat {
  const [value, from] = option !== undefined ? [option, "--log"] : env.TICKFLOW_LOG !== undefined ? [env.TICKFLOW_LOG, "TICKFLOW_LOG"] : ["text", ""];
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw new LogFormatError(`${from} must be one of ${LOG_FORMATS.join(", ")}, got ${JSON.stringify(value)}`);
}

/** A destination for the lines: stderr by default (synchronously, so the last lines before an exit are not lost). */
export interface LogOptions {
  readonly write?: (line: string) => void;
}

const stripPrefix = (line: string): string => line.replace(/^tickflow: /, "");

abstract class BaseLog implements Log {
  abstract readonly format: LogFormat;
  abstract write(level: LogLevel, event: string, msg: string, fields?: LogFields): void;
  abstract child(fields: LogFields): Log;
  info(event: string, msg: string, fields?: LogFields): void {
    this.write("info", event, msg, fields);
  }
  warn(event: string, msg: string, fields?: LogFields): void {
    this.write("warn", event, msg, fields);
  }
  error(event: string, msg: string, fields?: LogFields): void {
    this.write("error", event, msg, fields);
  }
  lines(event: string, level: LogLevel = "info"): (line: string) => void {
    return (line) => this.write(level, event, stripPrefix(line));
  }
}

class TextLog extends BaseLog {
  readonly format = "text";
  constructor(private readonly out: (line: string) => void) {
    super();
  }
  write(_level: LogLevel, _event: string, msg: string): void {
    this.out(`tickflow: ${msg}\n`);
  }
  child(): Log {
    return this;
  }
}

class JsonLog extends BaseLog {
  readonly format = "json";
  constructor(private readonly logger: Logger) {
    super();
  }
  write(level: LogLevel, event: string, msg: string, fields: LogFields = {}): void {
    this.logger[level]({ ...fields, event }, msg);
  }
  child(fields: LogFields): Log {
    return new JsonLog(this.logger.child(fields));
  }
}

/** pino, loaded when a JSON log is made: every command checks TICKFLOW_LOG, and pino's import costs ~57 ms. */
const loadPino = (): typeof import("pino")["pino"] => createRequire(import.meta.url)("pino") as typeof import("pino")["pino"];

export function createLog(format: LogFormat, o: LogOptions = {}): Log {
  const write = o.write ?? ((line: string) => void process.stderr.write(line));
  if (format === "text") return new TextLog(write);
  const pino = loadPino();
  const logger = pino(
    {
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Levels by name ("info"), not pino's numbers, so a reader needs no table.
      formatters: { level: (label) => ({ level: label }) },
    },
    o.write ? { write: (s: string) => o.write!(s) } : pino.destination({ fd: 2, sync: true }),
  );
  return new JsonLog(logger);
}

let current: Log | undefined;

/** The log of this process: what `configureLog` set, else one in TICKFLOW_LOG's format (text when unset or invalid). */
export function processLog(): Log {
  if (!current) {
    let format: LogFormat = "text";
    try {
      format = resolveLogFormat(undefined);
    } catch {
      // Refused where the command starts (configureLog); until then, and for the report of that refusal, text.
    }
    current = createLog(format);
  }
  return current;
}

/** Sets the process log from `--log` (or TICKFLOW_LOG); throws LogFormatError for another value. */
export function configureLog(option: string | undefined): Log {
  current = createLog(resolveLogFormat(option));
  return current;
}
