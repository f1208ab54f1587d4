// The two lines every run command ends with: what went in and out, and the digest a replay must reproduce.
import type { RunSummary } from "../runtime/pipelineRun.ts";

export function printSummary(s: RunSummary): void {
  const outs = Object.entries(s.counters.outputs)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  console.log(`run ${s.runId}: ${s.counters.inputs} inputs, outputs: ${outs}; ${s.counters.deadLetters} dead letters, ${s.counters.late} late`);
  console.log(`digest: ${s.digest}`);
}
