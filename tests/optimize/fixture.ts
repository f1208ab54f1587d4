// Shared by the optimiser tests: the ORCL fixture (250 daily bars) recorded into a real DuckDB file, and the
// reference pipeline's declaration.
import { fileURLToPath } from "node:url";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { BarMessage } from "../../schemas/bar.ts";
import type { Database } from "../../io/duckdb/database.ts";
import { loadDeclaration } from "../../pipeline/load.ts";
import { orclBars } from "../trading/pipelineHelpers.ts";

export const SMA_PIPELINE = fileURLToPath(new URL("../../pipelines/sma-crossover.yaml", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export async function recordOrcl(db: Database): Promise<number> {
  const bars = orclBars();
  await new DuckDbRecorder(db).writeInputs(
    BarMessage,
    bars,
    bars.map((_, i) => ({ subject: "md.bars.1d.ORCL", streamSeq: BigInt(i + 1) })),
  );
  return bars.length;
}

export const smaDeclaration = () => loadDeclaration(SMA_PIPELINE);
