// The user-written operator example: pipelines/mean-reversion.yaml names examples/operators/meanReversionRule.ts by
// path. It loads, runs live on a real nats-server, replays to the live digest, passes the lookahead check, declares
// its state so a checkpointed run resumes it; a module that breaks the determinism rules is refused at load, naming
// the line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { Database } from "../../io/duckdb/database.ts";
import { importFile } from "../../sources/importFile.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { LiveRun } from "../../app/liveRun.ts";
import { replay } from "../../replay/replay.ts";
import { checkLookahead } from "../../replay/lookahead.ts";
import { PipelineRun, type RunCheckpoint, type RunSummary, type StepResult } from "../../runtime/pipelineRun.ts";
import { decodeState, encodeState } from "../../core/stateCodec.ts";
import { orclBars, orclCsv } from "../trading/pipelineHelpers.ts";

const ROOT = join(import.meta.dirname, "../..");
const PIPELINE = join(ROOT, "pipelines", "mean-reversion.yaml");

describe("a user-written operator (examples/operators/meanReversionRule.ts)", () => {
  let nats: NatsFixture;
  let db: Database;
  let tmp: { dir: string; cleanup: () => void };
  let live: RunSummary;
  const printed: string[] = [];

  beforeAll(async () => {
    nats = await startNats();
    tmp = tempDir();
    db = await Database.open(join(tmp.dir, "rec.duckdb"));
    const csv = join(tmp.dir, "ORCL.csv");
    writeFileSync(csv, orclCsv());
    expect((await importFile(nats.nc, db, { file: csv, symbol: "ORCL" })).parsed).toBe(250);
    const run = new LiveRun({ pipeline: await loadPipeline(PIPELINE), nc: nats.nc, db, runId: "mr-live", print: (l) => printed.push(l) });
    await run.start();
    await run.waitFor(() => run.run.counters.inputs >= 250);
    live = await run.stop();
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await stopNats(nats);
    tmp?.cleanup();
  });

  it("loads as a pipeline node with its declared params checked", async () => {
    const p = await loadPipeline(PIPELINE);
    const node = p.nodes.find((n) => n.name === "signals")!;
    expect(node.op.name).toBe("meanReversionRule");
    expect(node.kind).toBe("signal");
    expect(node.params).toEqual({ z: "z", entry: 2, exit: 0.5, emit: "change" });
  });

  it("runs live: signals follow the rule on the z-score the indicators node computed", async () => {
    const signals = await db.query<{ action: string; reason: string }>("SELECT action, reason FROM signals WHERE run_id = 'mr-live' ORDER BY out_seq");
    expect(signals.length).toBeGreaterThan(3);
    expect(printed.length).toBe(signals.length);
    for (const s of signals) {
      const zv = Number(/^z (-?\d+\.\d+)/.exec(s.reason)![1]);
      if (s.action === "buy") expect(zv).toBeLessThanOrEqual(-2);
      if (s.action === "sell") expect(zv).toBeGreaterThanOrEqual(2);
      if (s.action === "flat") expect(Math.abs(zv)).toBeLessThanOrEqual(0.5);
    }
  });

  it("replays to the live digest, and the lookahead check finds nothing", async () => {
    const pipeline = await loadPipeline(PIPELINE);
    const r = await replay({ pipeline, db, runId: "mr-replay", batchSize: 7 });
    expect(r.counters.inputs).toBe(250);
    expect(r.digest).toBe(live.digest);
    const report = await checkLookahead({ pipeline, db, cuts: 4 });
    expect(report.difference).toBeUndefined();
    expect(report.compared).toBeGreaterThan(200);
  });

  it("refuses a module that reads the wall clock, naming the node, the module and the line", async () => {
    const dir = join(tmp.dir, "user");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "clocky.ts"),
      `import { defineOperator, mapItems } from "tickflow";\nimport { z } from "zod";\nexport default defineOperator({ name: "clocky", summary: "", inputs: [{ name: "rows", kind: "features" }], output: "features", params: z.strictObject({}), example: "",\n  build: () => ([rows]) => rows!.pipe(mapItems(() => (r: { tsEvent: bigint }) => ({ ...r, at: Date.now() }))) });\n`,
    );
    writeFileSync(
      join(dir, "p.yaml"),
      "name: p\nsources:\n  bars: { type: bar }\nnodes:\n  ind: { op: indicators, in: bars, params: { set: [{ id: z, name: zscore, period: 5 }] } }\n  clock: { op: ./clocky.ts, in: ind }\n",
    );
    await expect(loadPipeline(join(dir, "p.yaml"))).rejects.toThrow(
      /p\.yaml:6:16: at nodes\.clock\.op: operator module \.\/clocky\.ts line 4 reads the wall clock \(Date\.now\(\)\)/,
    );
    writeFileSync(join(dir, "q.yaml"), "name: q\nsources:\n  bars: { type: bar }\nnodes:\n  x: { op: ./missing.ts, in: bars }\n");
    await expect(loadPipeline(join(dir, "q.yaml"))).rejects.toThrow(/q\.yaml:5:12: at nodes\.x\.op: cannot find the operator module \.\/missing\.ts/);
  });
});

describe("the user-written operator's declared state", () => {
  it("is registered as the node's operator state, and a run checkpointed anywhere resumes to the same signals", async () => {
    const pipeline = await loadPipeline(PIPELINE);
    const bars = orclBars();
    const rank = pipeline.sources[0]!.rank;
    const signalsOf = (cut?: number): { signals: unknown[]; keys: string[] } => {
      const signals: unknown[] = [];
      const take = (r: StepResult): void => {
        for (const o of r.outputs) if (o.node === "signals") signals.push(...o.items);
      };
      let run = new PipelineRun(pipeline, "mr-state");
      run.assertCheckpointable();
      for (let i = 0; i < bars.length; i += 10) {
        const part = bars.slice(i, i + 10);
        take(
          run.step(
            part.map(() => rank),
            part,
            bars[i + 10]?.tsEvent ?? part[part.length - 1]!.tsEvent + 1n,
          ),
        );
        if (i === cut) {
          const text = encodeState(run.checkpoint(), "checkpoint");
          run = new PipelineRun(pipeline, "mr-state");
          run.restore(decodeState(text) as RunCheckpoint);
        }
      }
      take(run.end());
      return { signals, keys: run.instance.state.keys };
    };
    const whole = signalsOf();
    expect(whole.keys).toContain("signals/0:meanReversionRule");
    expect(whole.signals.length).toBeGreaterThan(3);
    for (const cut of [0, 50, 120, 200, 240]) expect(signalsOf(cut).signals, `cut after bar ${cut + 10}`).toEqual(whole.signals);
  });
});
