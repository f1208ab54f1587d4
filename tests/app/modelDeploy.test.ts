// Hot deploy during a live run (real nats-server, real DuckDB): versions switch between two chunks with no row lost or
// scored twice; corrupt / wrong-feature / NaN models are rejected while the old one keeps serving; repeated rejections
// open the circuit breaker, which half-opens after the cool-down and closes on a good model.
import { describe, expect, test } from "vitest";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withNats } from "../helpers/nats.ts";
import { tempDir, withDatabase } from "../helpers/duckdb.ts";
import { replay } from "../../replay/replay.ts";
import { LiveRun } from "../../app/liveRun.ts";
import { bindModelSlots } from "../../pipeline/catalog/models.ts";
import {
  deploymentOf,
  ModelDeployment,
  publishDeployment,
  withFixedModel,
  withRecordedModels,
  type Deployment,
  type DeploymentEvent,
} from "../../app/modelDeployment.ts";
import { recordedModelInstalls, recordModelInstall } from "../../replay/runs.ts";
import { JetStreamPublisher } from "../../sinks/jetStreamPublisher.ts";
import { toOutgoing } from "../../sources/simulatedFeed.ts";
import { simulate } from "../../sources/simulator.ts";
import { ModelSlot } from "../../models/modelSlot.ts";
import { ModelRegistry, type ModelRecord } from "../../models/registry.ts";
import { parseLabelSpec } from "../../models/recordedFeatures.ts";
import { trainFromRecording } from "../../models/trainFromRecording.ts";
import { exportOnnx } from "../../models/onnxExport.ts";
import { decodeOnnxModel } from "../../models/onnxImport.ts";
import { loadServingModel, type ServingModel } from "../../models/servingModel.ts";
import type { LogisticRegressionModel } from "../../models/logisticRegression.ts";
import { FEATURES, modelPipeline, recordInputs, SIM_START_NS, simulatedInputs } from "../models/recording.ts";

const MINUTE = 60_000_000_000n;

describe("model deploy through NATS KV during a live run", () => {
  test("switch without loss or double scoring; bad models rejected; breaker opens and recovers", async () => {
    const { dir, cleanup } = tempDir();
    try {
      await withNats(async ({ nc }) => {
        await withDatabase(async (db) => {
          // Two versions trained from a recording (replay of a simulated market, seed 11).
          await recordInputs(db, simulatedInputs(600));
          await replay({ pipeline: bindModelSlots(modelPipeline(), new Map([["scored", new ModelSlot([...FEATURES])]])), db, runId: "rec-1", now: () => 0n });
          const registry = await ModelRegistry.open(db, { directory: join(dir, "models"), clock: { nowNs: () => 1n } });
          const train = (kind: "logreg" | "gbt", features: readonly string[] = FEATURES, name = "sim"): Promise<ModelRecord> =>
            trainFromRecording(db, registry, {
              pipeline: "sim-model",
              runId: "rec-1",
              label: parseLabelSpec("fwd_return:5"),
              kind,
              features,
              name,
              params: kind === "gbt" ? { nTrees: 20 } : {},
            }).then((r) => r.record);
          const v1 = await train("logreg");
          const v2 = await train("gbt");
          expect([v1.id, v2.id]).toEqual(["sim-v1", "sim-v2"]);
          const narrow = await train("logreg", ["ret", "rsi"], "narrow");

          // Bad deployments: a truncated file, a model with other features, a model whose output is NaN.
          const corruptPath = join(dir, "corrupt.onnx");
          const bytes = await readFile(v2.filePath);
          await writeFile(corruptPath, bytes.subarray(0, bytes.length >> 1));
          const nanPath = join(dir, "nan.onnx");
          const lr = decodeOnnxModel(await readFile(v1.filePath), v1.filePath).model as LogisticRegressionModel;
          await exportOnnx({ ...lr, weights: lr.weights.map((w, j) => (j === 0 ? Number.NaN : w)) }, nanPath, {
            modelId: "sim-v9",
            name: "sim",
            version: 9,
            pipeline: "sim-model",
          });
          const sha = async (p: string): Promise<string> =>
            createHash("sha256")
              .update(await readFile(p))
              .digest("hex");
          const corrupt: Deployment = { ...deploymentOf(v2, 0n), filePath: corruptPath, sha256: await sha(corruptPath) };
          const nan: Deployment = { ...deploymentOf(v1, 0n), modelId: "sim-v9", version: 9, filePath: nanPath, sha256: await sha(nanPath) };

          const clock = { t: 0, nowMs: () => clock.t };
          const events: DeploymentEvent[] = [];
          const lines: string[] = [];
          let live: LiveRun | undefined;
          await publishDeployment(nc, deploymentOf(v1, 0n));
          const deployment = await ModelDeployment.start({
            nc,
            pipeline: modelPipeline("30m"),
            failureThreshold: 3,
            coolDownMs: 60_000,
            clock,
            onEvent: (e) => events.push(e),
            log: (l) => lines.push(l),
            deadLetter: (l) => live!.run.deadLetter(l),
          });
          expect(deployment.current?.id).toBe("sim-v1"); // the deployment present at start is loaded before the run

          live = new LiveRun({
            pipeline: deployment.pipeline,
            nc,
            db,
            runId: "live-1",
            print: () => undefined,
            recordWithBatch: async () => {
              for (const i of deployment.servedInstalls()) await recordModelInstall(db, "live-1", i);
            },
          });
          await live.start();
          const publisher = new JetStreamPublisher(nc, { inFlight: 1 }); // one at a time: stored in event-time order
          const feed = [
            ...(function* () {
              for (const m of simulate({ symbols: ["AAPL", "MSFT", "NVDA"], seed: 12, startNs: SIM_START_NS, tradesPerSecond: 0.6, newsEverySeconds: 300 })) {
                if (m.msg.tsEvent >= SIM_START_NS + 200n * MINUTE) return;
                yield m;
              }
            })(),
          ];
          let sent = 0;
          const publishUntil = async (minute: bigint): Promise<void> => {
            const part = feed.filter((m) => m.msg.tsEvent < SIM_START_NS + minute * MINUTE).slice(sent); // feed is in time order
            await publisher.publishAll(part.map(toOutgoing));
            sent += part.length;
            await live!.waitFor(() => live!.run.counters.inputs + live!.run.counters.late >= sent);
            expect(live!.run.counters.late).toBe(0);
          };
          const deploy = async (d: Deployment): Promise<DeploymentEvent> => {
            const before = events.length;
            await deployment.waitForRevision(await publishDeployment(nc, d));
            return events.slice(before).find((e) => e.type !== "breaker")!;
          };

          await publishUntil(50n); // scored by v1
          expect(await deploy(deploymentOf(v2, 0n))).toMatchObject({ type: "installed", modelId: "sim-v2" });
          await publishUntil(100n); // v2
          expect(await deploy(corrupt)).toMatchObject({
            type: "rejected",
            modelId: "sim-v2",
            reason: expect.stringMatching(/not a valid ONNX protobuf.*model sim-v2 keeps serving/),
          });
          expect(await deploy(deploymentOf(narrow, 0n))).toMatchObject({
            type: "rejected",
            reason: expect.stringMatching(/pipeline sim-model|feature 0 differs|feature 2 differs/),
          });
          expect(await deploy(nan)).toMatchObject({ type: "rejected", reason: expect.stringMatching(/NaN/) });
          expect(deployment.breaker.state).toBe("open");
          expect(await deploy(deploymentOf(v1, 0n))).toMatchObject({ type: "refused", modelId: "sim-v1" }); // not even loaded
          expect(deployment.current?.id).toBe("sim-v2");
          await publishUntil(150n); // the old model (v2) kept serving
          clock.t += 60_000;
          expect(deployment.breaker.state).toBe("half-open");
          expect(await deploy(deploymentOf(v1, 0n))).toMatchObject({ type: "installed", modelId: "sim-v1" });
          expect(deployment.breaker.state).toBe("closed");
          await publishUntil(200n); // v1 again
          const summary = await live.stop();
          await deployment.stop();

          expect(sent).toBe(feed.length);
          expect(events.filter((e) => e.type === "breaker").map((e) => e.type === "breaker" && `${e.from}->${e.to}`)).toEqual([
            "closed->open",
            "open->half-open",
            "half-open->closed",
          ]);
          expect(lines.filter((l) => l.includes("rejected deployment revision"))).toHaveLength(3);

          // Every feature row the pipeline produced was handled exactly once by the predict node ...
          const joined = summary.counters.outputs["joined"]!;
          const c = deployment.slots.get("scored")!.counters;
          expect(joined).toBe(3 * 199); // 1-minute bars of 200 minutes per symbol; the run is checkpointed, so its last bars stay open at stop
          expect(c.scored + c.warmUp + c.noModel + c.nonFinite).toBe(joined);
          expect(c.noModel).toBe(0);
          // ... every scored row produced one signal (emit: every), none lost, none twice ...
          const signals = await db.query<{ out_seq: bigint; symbol: string; ts: bigint; p: number; version: string }>(
            `SELECT out_seq, symbol, epoch_ns(ts_event) ts, json_extract(inputs, '$.p_up')::DOUBLE p, model_version AS "version" FROM signals WHERE run_id = 'live-1' ORDER BY out_seq`,
          );
          expect(signals.length).toBe(c.scored);
          expect(summary.counters.outputs["signals"]).toBe(c.scored);
          expect(new Set(signals.map((s) => `${s.symbol}@${s.ts}`)).size).toBe(signals.length);
          // ... versions in three runs v1 → v2 → v1, switching between rows, each signal naming its model in full, ...
          const runs = signals.map((s) => s.version).filter((v, i, a) => i === 0 || a[i - 1] !== v);
          expect(runs).toEqual(["sim-v1", "sim-v2", "sim-v1"]);
          // ... and each row's probability is exactly what its version gives on the recorded features.
          const models = new Map<string, ServingModel>();
          for (const r of [v1, v2]) models.set(r.id, (await loadServingModel(r.filePath, { featureNames: [...FEATURES] })).model);
          const feats = await db.query<{ symbol: string; ts: bigint; v: string }>(
            `SELECT symbol, epoch_ns(ts_event) ts, "values" v FROM features WHERE run_id = 'live-1'`,
          );
          const byKey = new Map(feats.map((f) => [`${f.symbol}@${f.ts}`, JSON.parse(f.v) as Record<string, number>]));
          for (const s of signals) {
            const values = byKey.get(`${s.symbol}@${s.ts}`)!;
            const p = models.get(s.version)!.score(
              Float64Array.from(FEATURES, (f) => values[f]!),
              1,
            )[0]!;
            expect(s.p).toBe(p);
          }
          // Rejections are dead letters of the run.
          const dead = await db.query<{ reason: string }>(`SELECT reason FROM dead_letters WHERE run_id = 'live-1' AND stage = 'model-deploy' ORDER BY reason`);
          expect(dead).toHaveLength(4); // 3 rejected + 1 refused while open

          // The installs were recorded with the row each took effect at; a replay of exactly this run applies them at
          // the same rows (in batches that cut the rows elsewhere) and gives the live digest.
          const installs = await recordedModelInstalls(db, "live-1");
          expect(installs.map((i) => i.modelId)).toEqual(["sim-v1", "sim-v2", "sim-v1"]);
          expect(installs[0]!.row).toBe(0);
          expect(installs[1]!.row).toBeGreaterThan(0);
          expect(installs[2]!.row).toBeGreaterThan(installs[1]!.row);
          const files = new Map([
            [v1.id, v1.filePath],
            [v2.id, v2.filePath],
          ]);
          for (const batchSize of [8192, 37]) {
            const bound = await withRecordedModels(modelPipeline("30m"), installs, async (id) => files.get(id)!);
            const r = await replay({ pipeline: bound.pipeline, db, runId: `replay-of-live-${batchSize}`, range: { runId: "live-1" }, batchSize });
            expect(r.counters.inputs).toBe(summary.counters.inputs);
            expect(r.digest).toBe(summary.digest);
          }
          // Scoring the whole run with one fixed model instead gives another digest: the test can tell.
          const fixed = await withFixedModel(modelPipeline("30m"), v2.filePath);
          expect((await replay({ pipeline: fixed.pipeline, db, runId: "replay-fixed", range: { runId: "live-1" } })).digest).not.toBe(summary.digest);
        });
      });
    } finally {
      cleanup();
    }
  });
});
