// Pipeline declarations: the YAML/JSON file format, validated at load with errors that name the
// file, the line and the path inside it, and say what was expected.
import { isMap, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import { z } from "zod";
import { SOURCE_KINDS } from "../schemas/kinds.ts";
import { TickflowError } from "../core/errors.ts";
import { parseDurationNs } from "../schemas/time.ts";

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const name = z.string().regex(NAME, "must be a name of letters, digits, '_' or '-', starting with a letter");
const duration = z.string().regex(/^\d+(\.\d+)?(ns|us|ms|s|m|h|d)$/, "must be a duration like 500ms, 2s, 1m, 4h");
/** For a refine after `duration`: a text that is no duration passes here, the regex reports it. */
const positiveDuration = (d: string): boolean => {
  try {
    return parseDurationNs(d) > 0n;
  } catch {
    return true;
  }
};

export const SourceDeclSchema = z.strictObject({
  type: z.enum(SOURCE_KINDS).describe("The kind of message the source gives."),
  connector: z
    .string()
    .min(1)
    .default("jetstream")
    .describe("Where live inputs come from (replay always reads the recording): `tickflow catalog` lists the connectors."),
  subjects: z.array(z.string().min(1)).min(1).optional().describe("jetstream only: NATS subject filters; default per type (md.trades.>, md.bars.>, news.>)."),
  params: z.record(z.string(), z.unknown()).default({}).describe("The connector's parameters."),
  description: z.string().optional().describe("Free text for readers of the file."),
});

export const NodeDeclSchema = z.strictObject({
  op: z
    .string()
    .min(1)
    .describe(
      "The operator: a catalog name (`tickflow catalog` lists them with their parameters), or the path of a module whose default export is made with `defineOperator`, relative to the pipeline file (e.g. ./operators-local/myRule.ts).",
    ),
  in: z
    .union([name, z.array(name).min(1)])
    .describe("One input name (a source or a node), or a list for operators with several inputs (in the order the operator documents)."),
  params: z.record(z.string(), z.unknown()).default({}).describe("The operator's parameters."),
  description: z.string().optional().describe("Free text for readers of the file."),
});

export const SinkDeclSchema = z.strictObject({
  type: z.string().min(1).describe("The sink type: `tickflow catalog` lists them with their parameters."),
  in: name.describe("The source or node whose items the sink takes."),
  params: z.record(z.string(), z.unknown()).default({}).describe("The sink's parameters."),
  description: z.string().optional().describe("Free text for readers of the file."),
});

export const PipelineDeclSchema = z.strictObject({
  name: name.describe("The pipeline's name: runs are recorded under it, and live runs name their durable consumers after it."),
  version: z.number().int().positive().default(1).describe("The declaration's version number, for its readers."),
  description: z.string().optional().describe("Free text for readers of the file."),
  sources: z
    .record(name, SourceDeclSchema)
    .refine((s) => Object.keys(s).length > 0, "must declare at least one source")
    .describe("The inputs, by name: each has a message type and a connector."),
  sequencing: z
    .strictObject({
      maxDelay: duration.default("0s").describe("Bounded out-of-orderness of live inputs (event time): an input older than the watermark by more is late."),
      idleAfter: duration.default("250ms").describe("Live: a source with nothing pending for this long (wall time) stops holding the watermark back."),
      maxAhead: duration
        .refine(positiveDuration, "must be more than 0: with 0 an input dated a nanosecond after the wall clock is dead-lettered")
        .default("2d")
        .describe(
          "Live: an input whose event time is more than this ahead of the latest of the wall clock, the watermark and the newest input accepted is dead-lettered (stage ahead), so that one mis-dated event cannot make every later one late. 2d: a daily bar's event time is the end of its day, plus time-zone offsets and clock skew.",
        ),
    })
    .default({ maxDelay: "0s", idleAfter: "250ms", maxAhead: "2d" })
    .describe("How live inputs of several sources are put into one event-time order."),
  nodes: z.record(name, NodeDeclSchema).describe("The operators, by name: each names an `op`, its input(s) and its params."),
  sinks: z.array(SinkDeclSchema).default([]).describe("Where nodes' (or sources') items go: recorded, published, printed."),
  stats: z
    .strictObject({
      convention: z
        .enum(["tickflow", "backtesting.py", "backtrader"])
        .default("tickflow")
        .describe("Whose definitions the statistics printed at the end of `tickflow replay` follow (docs/statistics.md)."),
      riskFreeRate: z.number().min(0).max(1).optional().describe("Annual risk-free rate as a fraction (0.02 = 2 %); default 0 (backtrader: its 0.01)."),
      benchmark: z
        .string()
        .min(1)
        .optional()
        .describe("Symbol whose closes are the alpha/beta benchmark; default the traded symbols' equal-weight buy and hold."),
    })
    .optional()
    .describe("The backtest statistics' convention: tickflow (default), backtesting.py or backtrader."),
});

export type PipelineDecl = z.infer<typeof PipelineDeclSchema>;
export type NodeDecl = z.infer<typeof NodeDeclSchema>;

/** A declaration that does not validate: `file:line:col: at <path>: <what was expected>`. */
export class PipelineDeclarationError extends TickflowError {
  static override readonly code = "DECLARATION_INVALID";
  static override readonly refusal = true;
  override readonly name = "PipelineDeclarationError";
  constructor(
    readonly file: string,
    readonly path: readonly (string | number)[],
    readonly reason: string,
    readonly line?: number,
    readonly col?: number,
  ) {
    super(`${file}${line ? `:${line}:${col ?? 1}` : ""}: at ${path.length ? path.join(".") : "(top level)"}: ${reason}`);
  }
}

/** Source positions of the parsed file, to point errors at a line. */
export interface DeclarationSource {
  readonly file: string;
  /** Position of the value at `path`, or of its key when `key` is set (an unknown key's value may start a line later). */
  locate(path: readonly (string | number)[], key?: boolean): { line: number; col: number } | undefined;
}

export function declarationError(
  src: DeclarationSource,
  path: readonly (string | number)[],
  reason: string,
  opts: { key?: boolean } = {},
): PipelineDeclarationError {
  // Point at the deepest existing node on the path.
  for (let n = path.length; n >= 0; n--) {
    const pos = src.locate(path.slice(0, n), opts.key && n === path.length);
    if (pos) return new PipelineDeclarationError(src.file, path, reason, pos.line, pos.col);
  }
  return new PipelineDeclarationError(src.file, path, reason);
}

/** The issue to report: an unknown key first, since a misspelt key also shows up as the missing one it meant. */
export function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  return issues.find((i) => i.code === "unrecognized_keys") ?? issues[0]!;
}

export function zodIssueReason(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  return issue.message;
}

/** Parses YAML or JSON text into a validated declaration. */
export function parseDeclaration(text: string, file: string): { decl: PipelineDecl; source: DeclarationSource } {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false });
  const source: DeclarationSource = {
    file,
    locate(path, key) {
      if (key && path.length > 0) {
        const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
        const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]) : undefined;
        const range = isScalar(pair?.key) ? pair.key.range : undefined;
        if (range) {
          const p = lineCounter.linePos(range[0]);
          return { line: p.line, col: p.col };
        }
      }
      const node = path.length === 0 ? doc.contents : doc.getIn(path, true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (!range) return undefined;
      const p = lineCounter.linePos(range[0]);
      return { line: p.line, col: p.col };
    },
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const p = lineCounter.linePos(e.pos[0]);
    throw new PipelineDeclarationError(file, [], `not valid YAML/JSON: ${e.message.split("\n")[0]}`, p.line, p.col);
  }
  const parsed = PipelineDeclSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = firstIssue(parsed.error.issues);
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    const extra = issue.code === "unrecognized_keys" ? [issue.keys[0]!] : [];
    throw declarationError(source, [...path, ...extra], zodIssueReason(issue), { key: extra.length > 0 });
  }
  return { decl: parsed.data, source };
}
