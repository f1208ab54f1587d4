// Worker thread entry of `tickflow optimize`: receives the loaded inputs once, then runs the variants it is sent,
// in memory (no DuckDB, no recording), and posts each run back.
import { parentPort, workerData } from "node:worker_threads";
import type { PipelineDecl } from "../../pipeline/declaration.ts";
import { runVariant, type LoadedInputs } from "./evaluate.ts";

interface Init {
  readonly inputs: LoadedInputs;
  readonly outputs: readonly string[];
}

const init = workerData as Init;
parentPort!.on("message", (m: { index: number; decl: PipelineDecl }) => {
  runVariant(m.index, m.decl, init.outputs, init.inputs).then(
    (run) => parentPort!.postMessage({ run }, [run.ts.buffer as ArrayBuffer, run.equity.buffer as ArrayBuffer]),
    (e: unknown) => parentPort!.postMessage({ index: m.index, error: e instanceof Error ? e.message : String(e) }),
  );
});
