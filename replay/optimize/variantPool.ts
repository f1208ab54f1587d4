// Runs variants over the loaded inputs: inline (workers 0) or on worker threads, each variant given to the next free
// worker. Results are stored by variant index, so they do not depend on the number of workers or who ran what.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { PipelineDecl } from "../../pipeline/declaration.ts";
import type { OperatorDef } from "../../pipeline/operatorDef.ts";
import { PACKAGE_ROOT } from "../../io/packageRoot.ts";
import { runVariant, type LoadedInputs, type VariantRun } from "./evaluate.ts";

/**
 * The worker module as compiled JavaScript: beside this file under dist/, or dist/'s copy when running from the
 * TypeScript sources (tests), which needs `npm run build`.
 */
export function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const js = here.endsWith(".ts") ? join(PACKAGE_ROOT, "dist/replay/optimize/worker.js") : join(here, "../worker.js");
  if (!existsSync(js)) throw new Error(`optimize workers need the compiled worker ${js}: run \`npm run build\`, or use --workers 0`);
  return js;
}

export interface PoolOptions {
  readonly inputs: LoadedInputs;
  readonly outputs: readonly string[];
  readonly decls: readonly PipelineDecl[];
  readonly workers: number;
  readonly userOperators?: ReadonlyMap<string, OperatorDef<unknown>>;
  readonly onDone?: (done: number) => void;
}

export async function runVariants(o: PoolOptions): Promise<VariantRun[]> {
  const out = new Array<VariantRun>(o.decls.length);
  let done = 0;
  if (o.workers <= 0) {
    for (let i = 0; i < o.decls.length; i++) {
      out[i] = await runVariant(i, o.decls[i]!, o.outputs, o.inputs, o.userOperators);
      o.onDone?.(++done);
    }
    return out;
  }
  if (o.userOperators?.size)
    throw new Error("pipelines with operators loaded from module paths run with --workers 0 (the workers load only the catalog's operators)");
  const file = workerFile();
  const n = Math.min(o.workers, o.decls.length);
  const pool = Array.from({ length: n }, () => new Worker(file, { workerData: { inputs: o.inputs, outputs: o.outputs } }));
  let next = 0;
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const give = (): void => {
              if (next >= o.decls.length) {
                resolve();
                return;
              }
              const index = next++;
              w.postMessage({ index, decl: o.decls[index] });
            };
            w.on("message", (m: { run?: VariantRun; index?: number; error?: string }) => {
              if (m.error !== undefined) {
                reject(new Error(m.error));
                return;
              }
              out[m.run!.index] = m.run!;
              o.onDone?.(++done);
              give();
            });
            w.on("error", reject);
            w.on("exit", (code) => {
              if (code !== 0) reject(new Error(`optimize worker exited with code ${code}`));
            });
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return out;
}
