// Helpers for trading pipeline tests: ORCL daily bars through the real importer's parser, and a PipelineRun
// driven in memory with a chosen batch size, collecting every output node.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseMarketFile } from "../../sources/importers/parseMarketFile.ts";
import { PipelineRun, type OutputSink, type RunSummary } from "../../runtime/pipelineRun.ts";
import type { CompiledPipeline } from "../../pipeline/graph.ts";
import type { Kind } from "../../schemas/kinds.ts";
import type { Bar } from "../../schemas/bar.ts";
import { WATERMARK_END } from "../../core/chunk.ts";

export const ORCL_FIXTURE = fileURLToPath(new URL("../fixtures/trading/orcl-1995-daily.csv", import.meta.url));

/** The fixture without its provenance comment, as the importer would read the original file. */
export function orclCsv(): string {
  return readFileSync(ORCL_FIXTURE, "utf8").split("\n").filter((l) => !l.startsWith("#")).join("\n");
}

export function orclBars(): Bar[] {
  const r = parseMarketFile(orclCsv(), { symbol: "ORCL", file: ORCL_FIXTURE });
  if (r.kind !== "bar" || r.errors.length) throw new Error(`fixture did not parse as bars: ${JSON.stringify(r.errors[0])}`);
  return r.bars;
}

export class Collect implements OutputSink {
  readonly name = "collect";
  readonly byNode = new Map<string, unknown[]>();
  async write(node: string, _kind: Kind, items: readonly unknown[]): Promise<void> {
    const a = this.byNode.get(node) ?? this.byNode.set(node, []).get(node)!;
    for (const x of items) a.push(x);
  }
  get<T>(node: string): T[] {
    return (this.byNode.get(node) ?? []) as T[];
  }
}

/** Runs bars (source 0) through the pipeline in batches of `batch`, every output node collected. */
export async function runBars(p: CompiledPipeline, bars: readonly Bar[], batch: number): Promise<{ out: Collect; summary: RunSummary }> {
  const out = new Collect();
  const run = new PipelineRun(p, "test", p.outputs.map((input) => ({ sink: out, input })));
  for (let i = 0; i < bars.length; i += batch) {
    const items = bars.slice(i, i + batch);
    const next = bars[i + batch];
    await run.process(new Array<number>(items.length).fill(0), items, next ? next.tsEvent : WATERMARK_END);
  }
  return { out, summary: await run.finish() };
}
