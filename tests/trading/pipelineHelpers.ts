// Helpers for trading pipeline tests: ORCL daily bars through the real importer's parser, and a PipelineRun
// driven in memory with a chosen batch size, collecting every output node.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseMarketFile } from "../../sources/importers/parseMarketFile.ts";
import type { RunSummary } from "../../runtime/pipelineRun.ts";
import { RunDriver } from "../../runtime/runDriver.ts";
import { CollectingOutput, MemoryInput } from "../../runtime/memoryInput.ts";
import type { CompiledPipeline } from "../../pipeline/graph.ts";
import type { Bar } from "../../schemas/bar.ts";
import { WATERMARK_END } from "../../core/chunk.ts";

export const ORCL_FIXTURE = fileURLToPath(new URL("../fixtures/trading/orcl-1995-daily.csv", import.meta.url));

/** The fixture without its provenance comment, as the importer would read the original file. */
export function orclCsv(): string {
  return readFileSync(ORCL_FIXTURE, "utf8")
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .join("\n");
}

export function orclBars(): Bar[] {
  const r = parseMarketFile(orclCsv(), { symbol: "ORCL", file: ORCL_FIXTURE });
  if (r.kind !== "bar" || r.errors.length) throw new Error(`fixture did not parse as bars: ${JSON.stringify(r.errors[0])}`);
  return r.bars;
}

/** Every item each output node emitted. */
export class Collect extends CollectingOutput {}

/** Runs bars (source 0) through the pipeline in batches of `batch`, every output node collected. */
export async function runBars(p: CompiledPipeline, bars: readonly Bar[], batch: number): Promise<{ out: Collect; summary: RunSummary }> {
  const out = new Collect();
  const driver = new RunDriver({
    pipeline: p,
    runId: "test",
    mode: "check",
    input: MemoryInput.chunked(bars, batch, WATERMARK_END),
    outputs: p.outputs.map((node) => ({ port: out, node })),
  });
  return { out, summary: await driver.execute() };
}
