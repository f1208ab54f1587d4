// The pipeline-file reference, derived from the specs (operator catalog, connectors, declaration schema, indicator
// registry, strategy rules), so it cannot drift from what a load accepts. `tickflow catalog` prints it; `npm run
// reference` writes its markdown to docs/reference.md, which tests/docs/reference.test.ts keeps current.
import { OPERATORS } from "../pipeline/catalog.ts";
import type { RunMode } from "../pipeline/connectorSpec.ts";
import { NodeDeclSchema, PipelineDeclSchema, SinkDeclSchema, SourceDeclSchema } from "../pipeline/declaration.ts";
import type { OperatorDef } from "../pipeline/operatorDef.ts";
import type { Connectors } from "../runtime/connectors.ts";
import type { OutputStage } from "../runtime/ports.ts";
import type { Kind, SourceKind } from "../schemas/kinds.ts";
import { indicatorRegistry } from "../operators/indicators/registry.ts";
import { StrategyRulesSchema } from "../trading/strategyRules.ts";
import { CONNECTORS } from "./connectors.ts";
import { flattenParams, inputJsonSchema, paramDocs, resolveRef, typeOf, type JsonSchemaNode, type ParamDoc } from "./paramDocs.ts";

export type { ParamDoc } from "./paramDocs.ts";

export interface OperatorEntry {
  readonly name: string;
  readonly summary: string;
  readonly inputs: readonly { readonly name: string; readonly kind: Kind }[];
  readonly output: Kind;
  readonly params: readonly ParamDoc[];
  readonly example: string;
}

export interface SourceEntry {
  readonly connector: string;
  readonly kinds: readonly SourceKind[];
  readonly summary: string;
  readonly params: readonly ParamDoc[];
  readonly example: string;
}

export interface SinkEntry {
  readonly type: string;
  /** Kinds it takes; undefined: every kind. */
  readonly accepts?: readonly Kind[];
  readonly modes: readonly RunMode[];
  readonly stage: OutputStage;
  readonly summary: string;
  readonly params: readonly ParamDoc[];
  readonly example: string;
}

export interface IndicatorEntry {
  readonly name: string;
  readonly description: string;
  readonly implementation: string;
  readonly outputs: readonly string[];
  readonly params: readonly ParamDoc[];
}

export interface CatalogEntries {
  readonly operators: readonly OperatorEntry[];
  readonly sources: readonly SourceEntry[];
  readonly sinks: readonly SinkEntry[];
}

/** Every operator, source connector and sink type, in catalog order, with documented parameters. */
export function catalogEntries(operators: readonly OperatorDef<unknown>[] = OPERATORS, connectors: Connectors = CONNECTORS): CatalogEntries {
  return {
    operators: operators.map((o) => ({
      name: o.name,
      summary: o.summary,
      inputs: o.inputs,
      output: o.output,
      params: paramDocs(o.params),
      example: o.example,
    })),
    sources: connectors.sources.map((s) => ({ connector: s.connector, kinds: s.kinds, summary: s.summary, params: paramDocs(s.params), example: s.example })),
    sinks: connectors.sinks.map((s) => ({
      type: s.type,
      ...(s.accepts ? { accepts: s.accepts } : {}),
      modes: s.modes,
      stage: s.stage,
      summary: s.summary,
      params: paramDocs(s.params),
      example: s.example,
    })),
  };
}

/** Every indicator an `indicators` node can name, in registry order. */
export function indicatorEntries(): IndicatorEntry[] {
  return Object.values(indicatorRegistry).map((i) => ({
    name: i.name,
    description: i.description,
    implementation: i.implementation,
    outputs: i.outputs,
    params: paramDocs(i.params),
  }));
}

/** The forms of a rule condition, with what each means (trading/strategyRules.ts). */
export function conditionForms(): { form: string; description: string }[] {
  const root = inputJsonSchema(StrategyRulesSchema);
  const condition = resolveRef({ $ref: "#/$defs/condition" }, root);
  return (condition.anyOf ?? condition.oneOf ?? []).map((v) => ({ form: conditionForm(v, root), description: v.description ?? "" }));
}

function conditionForm(v: JsonSchemaNode, root: JsonSchemaNode): string {
  const req = new Set(v.required ?? []);
  return `{ ${Object.entries(v.properties ?? {})
    .map(([k, x]) => `${k}${req.has(k) ? "" : "?"}: ${typeOf(x, root)}`)
    .join(", ")} }`;
}

/** A complete small pipeline, shown in the reference's introduction (tests compile it). */
export const EXAMPLE_PIPELINE = `# trades → 1-minute bars → EMA/RSI; news → sentiment, joined as of each bar → momentum signals
name: momentum-demo
description: EMA(12/26) trend, RSI(14) filter and a news-sentiment gate on 1-minute bars.

sources:
  trades: { type: trade }                        # connector jetstream (default), subjects md.trades.>
  news: { type: news, subjects: ["news.>"] }

sequencing:
  maxDelay: 5s                                   # live: allow 5 s of event time between the two streams

nodes:
  bars: { op: bars, in: trades, params: { timeframe: 1m } }
  indicators:
    op: indicators
    in: bars
    params:
      set:
        - { id: emaFast, name: ema, period: 12 }
        - { id: emaSlow, name: ema, period: 26 }
        - { id: rsi, name: rsi, period: 14 }
  sentiment: { op: scoreSentiment, in: news }
  joined: { op: sentimentAsOf, in: [indicators, sentiment], params: { maxStaleness: 4h, halfLife: 30m } }
  signals: { op: momentumRule, in: joined, params: { overbought: 70, oversold: 30 } }

sinks:
  - { type: duckdb, in: signals }                # recorded under the run, live and in replay
  - { type: nats, in: signals }                  # published on signals.<SYMBOL>, live only
  - { type: console, in: signals }
`;

// ---- Markdown --------------------------------------------------------------------------------------------

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (s: string): string => `\`${cell(s)}\``;

/** A parameter table: every parameter, then its fields (`session.timezone`), with type, default and description. */
export function paramTable(params: readonly ParamDoc[], head = "param", nested = true): string {
  if (params.length === 0) return "No parameters.\n";
  const rows = (nested ? flattenParams(params) : params).map((p) => {
    const dflt = p.default !== undefined ? code(p.default) : p.required ? "**required**" : "optional";
    const when = p.when !== undefined ? `*${cell(p.when)}*${p.description ? ": " : ""}` : "";
    return `| ${code(p.name)} | ${code(p.type)} | ${dflt} | ${when}${cell(p.description)} |`;
  });
  return [`| ${head} | type | default | description |`, "|---|---|---|---|", ...rows].join("\n") + "\n";
}

const yamlBlock = (s: string): string => "```yaml\n" + s.trimEnd() + "\n```\n";

function operatorMarkdown(o: OperatorEntry): string {
  const inputs = o.inputs.map((i) => `${code(i.name)} (${i.kind})`).join(", ");
  return [`### ${o.name}`, "", o.summary, "", `**in:** ${inputs} → **out:** ${o.output}`, "", paramTable(o.params), yamlBlock(o.example)].join("\n");
}

function sourceMarkdown(s: SourceEntry): string {
  return [`### ${s.connector}`, "", s.summary, "", `**kinds:** ${s.kinds.join(", ")}`, "", paramTable(s.params), yamlBlock(s.example)].join("\n");
}

function sinkMarkdown(s: SinkEntry): string {
  const accepts = s.accepts ? s.accepts.join(", ") : "every kind";
  return [
    `### ${s.type}`,
    "",
    s.summary,
    "",
    `**accepts:** ${accepts} · **runs in:** ${s.modes.join(", ")} · **stage:** ${s.stage}`,
    "",
    paramTable(s.params),
    yamlBlock(s.example),
  ].join("\n");
}

/** A parameter in one line: `period` (integer ≥ 2, default 14): window length. A description's own "(default N)" is dropped. */
function paramLine(p: ParamDoc): string {
  const meta = [p.type, ...(p.default !== undefined ? [`default ${p.default}`] : p.required ? ["required"] : [])].join(", ");
  const description = p.description.replace(/\s*\(default [^)]*\)\s*$/, "");
  return `${code(p.name)} (${cell(meta)})${description ? `: ${cell(description)}` : ""}`;
}

function indicatorsMarkdown(): string {
  const rows = indicatorEntries().map((i) => {
    const params = i.params.length ? i.params.map(paramLine).join("<br>") : "none";
    return `| ${code(i.name)} | ${cell(i.description)} | ${params} | ${i.outputs.map(code).join(", ")} |`;
  });
  return [
    "## Indicator names",
    "",
    "What an `indicators` node's `set` entries can name: `{ id, name, ...params }`, e.g. `{ id: rsi14, name: rsi, period: 14 }`. The value is",
    "written under `id`; an indicator with several outputs writes `<id>.<output>` (e.g. `macd.signal`). Definitions and warm-up: [indicators](indicators.md).",
    "",
    "| name | computes | params | outputs |",
    "|---|---|---|---|",
    ...rows,
    "",
  ].join("\n");
}

function rulesMarkdown(): string {
  const forms = conditionForms().map((c) => `| ${code(c.form)} | ${cell(c.description)} |`);
  return [
    "## Strategy rules",
    "",
    "A `paperBroker` node's `strategy` is a rule set as data (trading/strategyRules.ts). On each row the rules say which side",
    "to be on: long, flat or short; a change of side becomes a target position sized by `sizing`, and orders. `signalBroker`",
    "takes the same `name`, `direction`, `sizing` and `price`, with the signal (buy/sell/flat) in place of the conditions.",
    "",
    paramTable(paramDocs(StrategyRulesSchema), "field"),
    "Conditions (`a`, `b`: a value name or a number):",
    "",
    "| condition | holds when |",
    "|---|---|",
    ...forms,
    "",
    "The values a condition, `price` or `sizing.volatility` can name are the row's: for `paperBroker`, the `rows` input's",
    "feature values (rows from `indicators`: open, high, low, close, volume, vwap, ret and each indicator `id`, or",
    "`<id>.<output>`) plus the matching bar's open, high, low, close and volume; for `signalBroker`, the signal's numeric",
    "inputs and the latest bar's open, high, low, close and volume. A missing (still warming up) or NaN value makes every",
    "condition that uses it false; a cross also needs the symbol's previous row.",
    "",
  ].join("\n");
}

const declParams = (key: "sources" | "nodes" | "sinks"): string => {
  const schema = key === "sources" ? SourceDeclSchema : key === "nodes" ? NodeDeclSchema : SinkDeclSchema;
  return paramTable(paramDocs(schema), "key");
};

/** docs/reference.md: the whole reference, deterministic (catalog and registry order). */
export function referenceMarkdown(entries: CatalogEntries = catalogEntries()): string {
  const top = paramDocs(PipelineDeclSchema);
  const sequencing = top.find((p) => p.name === "sequencing")!;
  const opRows = entries.operators.map(
    (o) => `| [${o.name}](#${o.name.toLowerCase()}) | ${o.inputs.map((i) => i.kind).join(" × ")} → ${o.output} | ${cell(o.summary)} |`,
  );
  return [
    "# Pipeline reference",
    "",
    "<!-- Generated from the specs by `npm run reference` (app/reference.ts): edit the specs, not this file. -->",
    "",
    "A pipeline file (YAML or JSON) declares where inputs come from (`sources`), how live inputs of several sources are",
    "put into one event-time order (`sequencing`), the operators that transform them (`nodes`) and where results go",
    "(`sinks`). Every item on an edge has a kind (trade, bar, news, features, signal, ...); a node's inputs must have the",
    "kinds its operator takes. The file is checked at load: an unknown key, operator or parameter fails with the file, the",
    "line and what was expected. `tickflow catalog` prints this reference in the terminal, `tickflow catalog <name>` one",
    "entry. Contents: [layout](#layout) · [sources](#sources) · [sequencing](#sequencing) · [nodes](#nodes) ·",
    "[indicator names](#indicator-names) · [strategy rules](#strategy-rules) · [sinks](#sinks).",
    "",
    "## Layout",
    "",
    paramTable(top, "key", false),
    yamlBlock(EXAMPLE_PIPELINE),
    "## sources",
    "",
    "`sources.<name>`: each source names a message type and a connector. Replay reads every source back from the",
    "recording, whatever its connector; a live run reads all its sources through one connector.",
    "",
    declParams("sources"),
    ...entries.sources.map(sourceMarkdown),
    "## sequencing",
    "",
    paramTable(sequencing.fields.map((f) => ({ ...f, name: f.name.replace(/^sequencing\./, "") }))),
    "Live, a watermark over the sources (the oldest of each active source's newest event time − `maxDelay`) releases inputs",
    "in (event time, source rank in the file, stream sequence) order; an input older than the released watermark is late",
    "(dead-lettered to `dlq.late`, counted, not recorded), and one dated more than `maxAhead` beyond the later of the wall",
    "clock, the watermark and the newest input accepted is `dlq.ahead` (it moves nothing). `idleAfter` keeps a quiet source",
    "from holding the others back; a wildcard subject over a backlog holds the watermark until its consumer is caught up.",
    "Replay ignores all of it: it reads the recorded inputs in that same order, so nothing is late and the outputs (and",
    "`digest:`) are those of the live run. See [architecture](architecture.md#one-input-order-live-and-in-replay).",
    "",
    "## nodes",
    "",
    "`nodes.<name>`: each node applies an operator to its input(s), named sources or other nodes.",
    "",
    declParams("nodes"),
    "| operator | in → out | summary |",
    "|---|---|---|",
    ...opRows,
    "",
    ...entries.operators.map(operatorMarkdown),
    indicatorsMarkdown(),
    rulesMarkdown(),
    "## sinks",
    "",
    "`sinks`: a list; each takes the items of one source or node. Within a batch, `record` sinks write first, then",
    "`effect` sinks (publishing: never before what they announce is recorded), then `observe` sinks; inputs are acked after.",
    "",
    declParams("sinks"),
    ...entries.sinks.map(sinkMarkdown),
  ].join("\n");
}
