// Hot model deployment: `tickflow models deploy` writes a deployment to the NATS KV bucket tickflow_models under the
// pipeline's name; a running pipeline watches that key, loads and checks the new version beside the old one, and
// installs it into the predict nodes' slots between two chunks. Rejections keep the old model, are reported, and
// repeated ones open a circuit breaker. All of this is I/O and lives here, outside the operators.
import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV, type KvEntry } from "@nats-io/kv";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { MODEL_BUCKET } from "../io/nats/auth.ts";
import { CircuitBreaker, type BreakerClock, type CircuitState } from "../core/circuitBreaker.ts";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import { bindModelSlots, declaredFeatures, predictNodes } from "../pipeline/catalog/models.ts";
import { ModelSlot } from "../models/modelSlot.ts";
import { readOnnxModelInfo } from "../models/onnxScorer.ts";
import { loadServingModel, type ServingModel } from "../models/servingModel.ts";
import type { ModelRecord } from "../models/registry.ts";
import type { DeadLetter } from "../schemas/deadLetter.ts";
import type { RecordedModelInstall } from "../replay/runs.ts";

/** KV bucket holding one deployment per pipeline (key = pipeline name). */
export const DEPLOYMENT_BUCKET = MODEL_BUCKET;

/** What `tickflow models deploy` writes: enough to load and check the file without the registry's database. */
export const DeploymentSchema = z.strictObject({
  modelId: z.string().min(1),
  name: z.string().min(1),
  version: z.number().int().positive(),
  kind: z.string(),
  pipeline: z.string().min(1),
  featureNames: z.array(z.string()).min(1),
  filePath: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be a hex sha256"),
  /** Wall-clock time of the deploy command, ns since the epoch, as a decimal string (informational). */
  deployedAtNs: z.string().regex(/^\d+$/),
});
export type Deployment = z.infer<typeof DeploymentSchema>;

/** The deployment record for a registered model. */
export function deploymentOf(record: ModelRecord, deployedAtNs: bigint): Deployment {
  return {
    modelId: record.id,
    name: record.name,
    version: record.version,
    kind: record.kind,
    pipeline: record.pipeline,
    featureNames: [...record.featureNames],
    filePath: record.filePath,
    sha256: record.sha256,
    deployedAtNs: deployedAtNs.toString(),
  };
}

/** Opens (creating if needed) the deployment bucket. Keeps 10 revisions per key as a deploy history. */
export async function openDeploymentBucket(nc: NatsConnection): Promise<KV> {
  return new Kvm(nc).create(DEPLOYMENT_BUCKET, { history: 10 });
}

/** Core NATS subject a running pipeline announces each deployment's outcome on (`tickflow models deploy` waits for it). */
export const verdictSubject = (pipeline: string): string => `models.verdicts.${pipeline}`;

/** What a running pipeline made of one deployment revision. */
export const VerdictSchema = z.strictObject({
  pipeline: z.string(),
  revision: z.number().int(),
  outcome: z.enum(["installed", "rejected", "refused", "ignored"]),
  modelId: z.string().optional(),
  reason: z.string().optional(),
  /** The model serving after it (absent: none). */
  serving: z.string().optional(),
  /** The run that judged it. */
  runId: z.string().optional(),
});
export type Verdict = z.infer<typeof VerdictSchema>;

/** Writes a deployment; resolves with its KV revision (running pipelines pick it up from there). */
export async function publishDeployment(nc: NatsConnection, deployment: Deployment): Promise<number> {
  const kv = await openDeploymentBucket(nc);
  return kv.put(deployment.pipeline, JSON.stringify(DeploymentSchema.parse(deployment)));
}

/** The deployment currently recorded for a pipeline, with its revision. */
export async function readDeployment(nc: NatsConnection, pipeline: string): Promise<{ deployment: Deployment; revision: number } | undefined> {
  const kv = await openDeploymentBucket(nc);
  const e = await kv.get(pipeline);
  if (e === null || e.operation !== "PUT") return undefined;
  return { deployment: DeploymentSchema.parse(e.json()), revision: e.revision };
}

export type DeploymentEvent =
  | {
      readonly type: "installed";
      readonly revision: number;
      readonly modelId: string;
      readonly version: number;
      readonly probeRows: number;
      readonly maxAbsDiff: number;
    }
  | { readonly type: "rejected"; readonly revision: number; readonly modelId?: string; readonly reason: string; readonly error: unknown }
  | { readonly type: "refused"; readonly revision: number; readonly modelId?: string; readonly reason: string }
  | { readonly type: "ignored"; readonly revision: number; readonly reason: string }
  | { readonly type: "breaker"; readonly from: CircuitState; readonly to: CircuitState };

export interface ModelDeploymentOptions {
  readonly nc: NatsConnection;
  /** The compiled (unbound) pipeline; `deployment.pipeline` is the bound copy to run. */
  readonly pipeline: CompiledPipeline;
  /** Keep watching for new deployments (live); false loads the current one only (replay). Default true. */
  readonly watch?: boolean;
  /** Consecutive rejected deployments that open the breaker. Default 3. */
  readonly failureThreshold?: number;
  /** How long an open breaker refuses deployments before trying one. Default 60 s. */
  readonly coolDownMs?: number;
  /** Default: the process's monotonic clock. */
  readonly clock?: BreakerClock;
  /** Every outcome, in order. */
  readonly onEvent?: (event: DeploymentEvent) => void;
  /** Rejected and refused deployments as dead letters (hand them to PipelineRun.deadLetter). */
  readonly deadLetter?: (letter: DeadLetter) => void;
  /** One line per deploy outcome (not per event). Default: stderr. */
  readonly log?: (line: string) => void;
  /** Announce each revision's outcome on `verdictSubject(pipeline)` (default true; a run id names who judged). */
  readonly announce?: boolean;
  readonly runId?: string;
}

/**
 * @example
 * const deployment = await ModelDeployment.start({ nc, pipeline, deadLetter: (l) => live.run.deadLetter(l) });
 * const live = new LiveRun({ pipeline: deployment.pipeline, nc, db, runId });
 */
export class ModelDeployment {
  readonly pipeline: CompiledPipeline;
  readonly slots: ReadonlyMap<string, ModelSlot>;
  readonly breaker: CircuitBreaker;
  private readonly handled = new Set<number>();
  private lastRevision = 0;
  private readonly waiters: { revision: number; resolve: () => void }[] = [];
  private watcher?: { stop(): void };
  private loop: Promise<void> = Promise.resolve();
  private readonly log: (line: string) => void;
  /** The last deployment that did not install (rejected or refused), until one installs: readiness says why. */
  private problem: { revision: number; reason: string } | undefined;
  /** The outcome of the revision being handled, announced once it is handled. */
  private verdict: Verdict | undefined;
  /** What each installed model was deployed as, for the install records. */
  private readonly deployedAs = new Map<ServingModel, Omit<RecordedModelInstall, "node" | "row">>();

  private constructor(
    private readonly o: ModelDeploymentOptions,
    private readonly kv: KV,
  ) {
    this.slots = new Map(predictNodes(o.pipeline).map((n) => [n.name, new ModelSlot(declaredFeatures(n))]));
    this.pipeline = bindModelSlots(o.pipeline, this.slots);
    this.log = o.log ?? ((line) => void process.stderr.write(`${line}\n`));
    this.breaker = new CircuitBreaker(`model deploys for ${o.pipeline.decl.name}`, {
      failureThreshold: o.failureThreshold ?? 3,
      coolDownMs: o.coolDownMs ?? 60_000,
      clock: o.clock ?? { nowMs: () => performance.now() },
      onStateChange: (from, to) => {
        this.log(`pipeline ${this.name}: model deploy circuit ${from} → ${to}`);
        o.onEvent?.({ type: "breaker", from, to });
      },
    });
  }

  /** Binds slots, loads the pipeline's current deployment (if any) and, unless `watch: false`, follows new ones. */
  static async start(o: ModelDeploymentOptions): Promise<ModelDeployment> {
    if (predictNodes(o.pipeline).length === 0) throw new Error(`pipeline ${o.pipeline.decl.name} has no predict node; nothing to deploy to`);
    const d = new ModelDeployment(o, await openDeploymentBucket(o.nc));
    const current = await d.kv.get(d.name);
    if (current !== null) {
      await d.handle(current, false);
      const verdict = d.verdict;
      // A rejected latest deployment must not leave the run without a model: serve the last good one of the history.
      if (d.current === undefined && d.problem !== undefined) await d.fallBack(current.revision);
      d.verdict = verdict;
      d.announce(current.revision); // with what serves after the fallback
    }
    if (o.watch ?? true) {
      const it = await d.kv.watch({ key: d.name });
      d.watcher = it;
      d.loop = (async () => {
        for await (const e of it) await d.handle(e);
      })().catch((e: unknown) => d.log(`pipeline ${d.name}: model deployment watch ended: ${(e as Error).message}`));
    }
    return d;
  }

  get name(): string {
    return this.o.pipeline.decl.name;
  }

  /** The model the first predict node serves now. */
  get current(): ServingModel | undefined {
    return this.slots.values().next().value?.current;
  }

  /** Resolves once the KV revision `revision` (or a later one) has been handled: installed, rejected or refused. */
  waitForRevision(revision: number): Promise<void> {
    if (this.lastRevision >= revision) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ revision, resolve }));
  }

  /**
   * The installs that scored rows since the last call, each at the first row it scored: a live run records them in
   * the transaction of the batch that scored them (RunDriver `recordWithBatch`), so `replay --run` applies each at
   * the same row, and a crash loses an install record only together with the rows it scored.
   */
  servedInstalls(): RecordedModelInstall[] {
    const out: RecordedModelInstall[] = [];
    for (const [node, slot] of this.slots)
      for (const { row, model } of slot.drainServed()) {
        const as = this.deployedAs.get(model);
        if (as) out.push({ node, row, ...as });
      }
    return out;
  }

  async stop(): Promise<void> {
    this.watcher?.stop();
    await this.loop;
  }

  /**
   * /readyz: not ready while a predict node has no model, saying why (nothing deployed, or the rejection), so a
   * run whose rows would all pass unscored never looks healthy.
   */
  readinessProbe(): { name: string; check(): Promise<string | undefined> } {
    return {
      name: "model",
      check: async () => {
        const empty = [...this.slots].filter(([, slot]) => slot.current === undefined).map(([node]) => node);
        if (empty.length === 0) return undefined;
        const why = this.problem
          ? `deployment revision ${this.problem.revision} was rejected: ${this.problem.reason}`
          : `nothing is deployed for pipeline ${this.name} (tickflow models deploy ID)`;
        return `no model serves predict node${empty.length > 1 ? "s" : ""} ${empty.join(", ")}; ${why}; rows pass through unscored`;
      },
    };
  }

  /** Rows each predict node passed through unscored (no model, warm-up, non-finite output) and scored. */
  counters(): Record<string, { scored: number; noModel: number; warmUp: number; nonFinite: number }> {
    return Object.fromEntries([...this.slots].map(([node, slot]) => [node, { ...slot.counters }]));
  }

  /** The model each predict node serves, and the last deployment that did not install. */
  serving(): { nodes: Record<string, string | null>; lastProblem?: { revision: number; reason: string } } {
    return {
      nodes: Object.fromEntries([...this.slots].map(([node, slot]) => [node, slot.current?.id ?? null])),
      ...(this.problem ? { lastProblem: { ...this.problem } } : {}),
    };
  }

  /** Installs the newest deployment before `revision` that loads and checks (history of the key, newest first). */
  private async fallBack(revision: number): Promise<void> {
    const older: KvEntry[] = [];
    for await (const e of await this.kv.history({ key: this.name })) if (e.revision < revision && e.operation === "PUT") older.push(e);
    for (const e of older.sort((a, b) => b.revision - a.revision)) {
      await this.apply(e, { fallback: true });
      if (this.current !== undefined) {
        this.log(
          `pipeline ${this.name}: deployment revision ${revision} was rejected; serving the last good deployment, revision ${e.revision} (model ${this.current.id})`,
        );
        return;
      }
    }
    this.log(`pipeline ${this.name}: deployment revision ${revision} was rejected and no earlier deployment loads: no model serves (the run reports unready)`);
  }

  private async handle(e: KvEntry, announce = true): Promise<void> {
    if (this.handled.has(e.revision) || e.revision <= this.lastRevision) return;
    this.handled.add(e.revision);
    try {
      this.verdict = undefined;
      await this.apply(e);
      if (announce) this.announce(e.revision);
    } finally {
      this.lastRevision = Math.max(this.lastRevision, e.revision);
      for (const w of this.waiters.splice(0)) {
        if (w.revision <= this.lastRevision) w.resolve();
        else this.waiters.push(w);
      }
    }
  }

  private announce(revision: number): void {
    const v = this.verdict;
    if (!v || v.revision !== revision || this.o.announce === false) return;
    try {
      this.o.nc.publish(
        verdictSubject(this.name),
        JSON.stringify({ ...v, ...(this.current ? { serving: this.current.id } : {}), ...(this.o.runId ? { runId: this.o.runId } : {}) }),
      );
    } catch (error) {
      this.log(`pipeline ${this.name}: could not announce the outcome of deployment revision ${revision}: ${(error as Error).message}`);
    }
  }

  /** Loads, checks and installs one deployment; `fallback`: a start-time retry of an older revision (no breaker). */
  private async apply(e: KvEntry, o: { fallback?: boolean } = {}): Promise<void> {
    const revision = e.revision;
    if (e.operation !== "PUT") {
      this.emit({ type: "ignored", revision, reason: `deployment key ${e.operation === "DEL" ? "deleted" : "purged"}; the current model keeps serving` });
      return;
    }
    let deployment: Deployment;
    try {
      deployment = DeploymentSchema.parse(e.json());
    } catch (error) {
      this.reject(e, undefined, `deployment revision ${revision} is not a valid deployment record (${(error as Error).message.split("\n")[0]})`, error, true);
      return;
    }
    if (deployment.pipeline !== this.name) {
      this.reject(e, deployment.modelId, `model ${deployment.modelId} is for pipeline ${deployment.pipeline}, not ${this.name}`, undefined, true);
      return;
    }
    if (!o.fallback && !this.breaker.tryAcquire()) {
      const reason = `model ${deployment.modelId} not loaded: circuit open after ${this.breaker.consecutiveFailures} rejected deployments; redeploy after the cool-down (${Math.ceil((this.breaker.retryAtMs - (this.o.clock?.nowMs() ?? performance.now())) / 1000)} s)`;
      this.log(`pipeline ${this.name}: ${reason}`);
      this.o.deadLetter?.(this.letter(e, deployment.modelId, reason));
      this.problem = { revision, reason };
      this.emit({ type: "refused", revision, modelId: deployment.modelId, reason });
      return;
    }
    try {
      // Load for every node before installing into any, so all nodes switch together or none does.
      const loads = [];
      for (const [node, slot] of this.slots) {
        const load = await loadServingModel(deployment.filePath, {
          featureNames: slot.featureNames ?? deployment.featureNames,
          expectedModelId: deployment.modelId,
          expectedSha256: deployment.sha256,
        });
        loads.push({ node, slot, load });
      }
      for (const { slot, load } of loads) {
        this.deployedAs.set(load.model, { modelId: deployment.modelId, version: deployment.version, sha256: deployment.sha256, revision });
        slot.install(load.model);
      }
      if (!o.fallback) this.breaker.recordSuccess();
      if (!o.fallback) this.problem = undefined;
      const { probeRows, maxAbsDiff } = loads[0]!.load;
      this.log(
        `pipeline ${this.name}: serving model ${deployment.modelId} (revision ${revision}; probe ${probeRows} rows, onnx vs ts max abs diff ${maxAbsDiff.toExponential(1)})`,
      );
      this.emit({ type: "installed", revision, modelId: deployment.modelId, version: deployment.version, probeRows, maxAbsDiff });
    } catch (error) {
      this.reject(e, deployment.modelId, (error as Error).message, error, !o.fallback);
    }
  }

  private reject(e: KvEntry, modelId: string | undefined, reason: string, error: unknown, countFailure: boolean): void {
    const serving = this.current?.id;
    const message = `${reason}; ${serving === undefined ? "no model is serving" : `model ${serving} keeps serving`}`;
    this.log(`pipeline ${this.name}: rejected deployment revision ${e.revision}: ${message}`);
    this.o.deadLetter?.(this.letter(e, modelId, message));
    this.emit({ type: "rejected", revision: e.revision, ...(modelId !== undefined ? { modelId } : {}), reason: message, error });
    if (countFailure) {
      this.breaker.recordFailure();
      this.problem = { revision: e.revision, reason };
    }
  }

  private letter(e: KvEntry, modelId: string | undefined, reason: string): DeadLetter {
    let payload: string;
    try {
      payload = e.string();
    } catch {
      payload = `(${e.length} bytes, not text)`;
    }
    return {
      stage: "model-deploy",
      subject: `$KV.${DEPLOYMENT_BUCKET}.${e.key}`,
      ref: `revision ${e.revision}${modelId ? ` (${modelId})` : ""}`,
      reason,
      payload,
    };
  }

  private emit(event: DeploymentEvent): void {
    if (event.type !== "breaker") {
      this.verdict = {
        pipeline: this.name,
        revision: event.revision,
        outcome: event.type,
        ...("modelId" in event && event.modelId !== undefined ? { modelId: event.modelId } : {}),
        ...("reason" in event ? { reason: event.reason } : {}),
      };
    }
    this.o.onEvent?.(event);
  }
}

/**
 * Binds a pipeline's predict nodes to one fixed model file (replay without NATS, benches, tests).
 * @example const { pipeline } = await withFixedModel(compiled, record.filePath, record.sha256);
 */
export async function withFixedModel(
  pipeline: CompiledPipeline,
  file: string,
  sha256?: string,
): Promise<{ pipeline: CompiledPipeline; slots: ReadonlyMap<string, ModelSlot>; model: ServingModel }> {
  const nodes = predictNodes(pipeline);
  if (nodes.length === 0) throw new Error(`pipeline ${pipeline.decl.name} has no predict node`);
  const fileFeatures = readOnnxModelInfo(await readFile(file), file).featureNames;
  const slots = new Map<string, ModelSlot>();
  let model: ServingModel | undefined;
  for (const n of nodes) {
    const slot = new ModelSlot(declaredFeatures(n));
    const loaded = await loadServingModel(file, { featureNames: slot.featureNames ?? fileFeatures, ...(sha256 ? { expectedSha256: sha256 } : {}) });
    slot.install(loaded.model);
    slots.set(n.name, slot);
    model = loaded.model;
  }
  return { pipeline: bindModelSlots(pipeline, slots), slots, model: model! };
}

/**
 * Binds a pipeline's predict nodes to the models a live run recorded, each taking effect at the row it took effect
 * at live (`replay --run` of a run with mid-run deployments). `fileOf` finds a model's file (the registry).
 */
export async function withRecordedModels(
  pipeline: CompiledPipeline,
  installs: readonly RecordedModelInstall[],
  fileOf: (modelId: string) => Promise<string>,
): Promise<{ pipeline: CompiledPipeline; slots: ReadonlyMap<string, ModelSlot> }> {
  const slots = new Map<string, ModelSlot>();
  for (const n of predictNodes(pipeline)) {
    const slot = new ModelSlot(declaredFeatures(n));
    const mine = installs.filter((i) => i.node === n.name);
    if (mine.length === 0) throw new Error(`the recorded run has no model install for predict node "${n.name}" of ${pipeline.decl.name}`);
    for (const i of mine) {
      const file = await fileOf(i.modelId);
      const loaded = await loadServingModel(file, {
        featureNames: slot.featureNames ?? readOnnxModelInfo(await readFile(file), file).featureNames,
        expectedModelId: i.modelId,
        expectedSha256: i.sha256,
      });
      slot.scheduleAt(i.row, loaded.model);
    }
    slots.set(n.name, slot);
  }
  return { pipeline: bindModelSlots(pipeline, slots), slots };
}
