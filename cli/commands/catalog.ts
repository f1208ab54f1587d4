// `tickflow catalog [name]`: what a pipeline file can name (operators, source connectors, sink types, indicators) with
// their parameters, read from the specs by app/reference.ts; `--markdown` prints the reference docs/reference.md holds.
import type { Command } from "commander";
import { flattenParams } from "../../app/paramDocs.ts";
import {
  catalogEntries,
  indicatorEntries,
  referenceMarkdown,
  type IndicatorEntry,
  type OperatorEntry,
  type ParamDoc,
  type SinkEntry,
  type SourceEntry,
} from "../../app/reference.ts";

const DESCRIPTION =
  "list every operator, source connector, sink type and indicator with its parameters; with a name, that entry in full; --markdown prints the reference (docs/reference.md)";

export function register(program: Command): void {
  program
    .command("catalog")
    .description(DESCRIPTION)
    .argument("[name]", "an operator, source connector, sink type or indicator")
    .option("--markdown", "print the whole reference as markdown (what docs/reference.md holds; `npm run reference` writes it)")
    .action((name: string | undefined, o: { markdown?: boolean }) => {
      if (o.markdown && name !== undefined) throw new Error("--markdown prints the whole reference; leave out the name, or leave out --markdown for one entry");
      process.stdout.write(o.markdown ? referenceMarkdown() : name === undefined ? catalogText() : entryText(name));
    });
}

/** `name: type = default`, `name?: type` (optional), `name: type` (required): one top-level parameter. */
function paramShort(p: ParamDoc): string {
  return `${p.name}${p.required || p.default !== undefined ? "" : "?"}: ${p.type}${p.default !== undefined ? ` = ${p.default}` : ""}`;
}

const params = (ps: readonly ParamDoc[]): string[] => ps.map((p) => `    ${paramShort(p)}`);
const kinds = (ks: readonly string[] | undefined): string => (ks ? ks.join(", ") : "every kind");

function indicatorLine(i: IndicatorEntry): string {
  return `  ${i.name} (${i.params.map((p) => `${p.name} = ${p.default ?? "?"}`).join(", ")}): ${i.description} → ${i.outputs.join(", ")}`;
}

/** Every entry, each with its top-level parameters: the overview. */
export function catalogText(): string {
  const c = catalogEntries();
  const lines = [
    "Operators (nodes.<name>.op):",
    ...c.operators.flatMap((o) => [`  ${o.name} (${o.inputs.map((i) => i.kind).join(" × ")} → ${o.output}): ${o.summary}`, ...params(o.params)]),
    "",
    "Source connectors (sources.<name>.connector):",
    ...c.sources.flatMap((s) => [`  ${s.connector} (${kinds(s.kinds)}): ${s.summary}`, ...params(s.params)]),
    "",
    "Sink types (sinks[].type):",
    ...c.sinks.flatMap((s) => [`  ${s.type} (${kinds(s.accepts)}; ${s.modes.join(", ")}): ${s.summary}`, ...params(s.params)]),
    "",
    "Indicators (indicators set[].name, with their params beside it):",
    ...indicatorEntries().map(indicatorLine),
    "",
    "`tickflow catalog <name>` shows one entry in full; `tickflow catalog --markdown` prints the whole reference.",
  ];
  return lines.join("\n") + "\n";
}

/** Every parameter and field with its type, default and description. */
function paramsFull(ps: readonly ParamDoc[]): string[] {
  if (ps.length === 0) return ["params: none"];
  return [
    "params:",
    ...flattenParams(ps).flatMap((p) => {
      const flag = p.default !== undefined ? `default ${p.default}` : p.required ? "required" : "optional";
      const text = [p.when !== undefined ? `(${p.when})` : "", p.description].filter(Boolean).join(" ");
      return [`  ${p.name}: ${p.type} (${flag})`, ...(text ? [`      ${text}`] : [])];
    }),
  ];
}

function operatorText(o: OperatorEntry): string[] {
  return [
    `operator ${o.name}`,
    o.summary,
    `inputs: ${o.inputs.map((i) => `${i.name} (${i.kind})`).join(", ")}`,
    `output: ${o.output}`,
    ...paramsFull(o.params),
    `example: ${o.example}`,
  ];
}

function sourceText(s: SourceEntry): string[] {
  return [`source connector ${s.connector}`, s.summary, `kinds: ${kinds(s.kinds)}`, ...paramsFull(s.params), `example: ${s.example}`];
}

function sinkText(s: SinkEntry): string[] {
  return [
    `sink type ${s.type}`,
    s.summary,
    `accepts: ${kinds(s.accepts)}`,
    `runs in: ${s.modes.join(", ")}`,
    `stage: ${s.stage}`,
    ...paramsFull(s.params),
    `example: ${s.example}`,
  ];
}

function indicatorText(i: IndicatorEntry): string[] {
  return [
    `indicator ${i.name}`,
    i.description,
    `implementation: ${i.implementation}`,
    `outputs: ${i.outputs.join(", ")}`,
    ...paramsFull(i.params),
    `example: { id: ${i.name}, name: ${i.name} }`,
  ];
}

/** One entry in full; every entry of that name when an operator and a connector share it. */
export function entryText(name: string): string {
  const c = catalogEntries();
  const indicators = indicatorEntries();
  const found = [
    ...c.operators.filter((o) => o.name === name).map(operatorText),
    ...c.sources.filter((s) => s.connector === name).map(sourceText),
    ...c.sinks.filter((s) => s.type === name).map(sinkText),
    ...indicators.filter((i) => i.name === name).map(indicatorText),
  ];
  if (found.length === 0) {
    const known = [...c.operators.map((o) => o.name), ...c.sources.map((s) => s.connector), ...c.sinks.map((s) => s.type), ...indicators.map((i) => i.name)];
    throw new Error(`no operator, source connector, sink type or indicator named "${name}"; known: ${[...new Set(known)].join(", ")}`);
  }
  return found.map((lines) => lines.join("\n")).join("\n\n") + "\n";
}
