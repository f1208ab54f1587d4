// What `tickflow status` shows: the streams and their consumers (from NATS), the pipeline processes running on this
// machine and their health (their process files and HTTP status), the deployed models (the KV bucket) and, when the
// recording is not held by a running process, the latest runs and job runs.
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { within } from "../core/retry.ts";
import type { Database } from "../io/duckdb/database.ts";
import { MODEL_BUCKET } from "../io/nats/auth.ts";
import { STREAMS } from "../schemas/kinds.ts";
import { processAlive, readProcessFiles } from "./processFiles.ts";

export interface StreamStatus {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly messages: number;
  readonly bytes: number;
  /** ISO time of the first and last stored message, null when empty. */
  readonly first: string | null;
  readonly last: string | null;
  readonly consumers: number;
}

export interface ConsumerStatus {
  readonly stream: string;
  readonly name: string;
  readonly filter: string | null;
  /** Not yet delivered. */
  readonly pending: number;
  /** Delivered, not yet acked. */
  readonly ackPending: number;
  readonly redelivered: number;
  /** ISO time of the last delivery, null when none. */
  readonly lastDelivery: string | null;
}

export interface PipelineStatus {
  readonly runId: string;
  readonly pipeline: string;
  readonly pid: number;
  /** false: the process is gone (killed) and left its file behind. */
  readonly alive: boolean;
  readonly url: string | null;
  readonly startedAt: string;
  /** From its /readyz and /api/status, when it answers. */
  readonly ready?: boolean;
  readonly state?: string;
  readonly inputs?: number;
  readonly deadLetters?: number;
  readonly lagSeconds?: number | null;
  /** Pipelines with predict nodes: the model each node serves (null: none) and the last deployment it did not install. */
  readonly models?: { readonly nodes: Record<string, string | null>; readonly lastProblem?: { revision: number; reason: string } };
  /** Something that needs a look (the process is gone, not ready, silent). */
  readonly problem?: string;
  /** Something to know that is not a problem. */
  readonly note?: string;
}

export interface ModelStatus {
  readonly pipeline: string;
  readonly name: string;
  readonly version: number;
  readonly modelId: string;
  readonly deployedAt: string;
}

export interface RecordingStatus {
  readonly path: string;
  /** Why runs and jobs are not shown (no recording, held by a running pipeline). */
  readonly unavailable?: string;
  readonly runs?: readonly { runId: string; pipeline: string; mode: string; status: string; startedAt: string; inputs: number | null }[];
  readonly jobs?: readonly { job: string; status: string; startedAt: string; attempts: number }[];
}

export interface StatusReport {
  readonly nats: { readonly url: string; readonly server: string | null; readonly error?: string };
  readonly streams: readonly StreamStatus[];
  readonly consumers: readonly ConsumerStatus[];
  readonly pipelines: readonly PipelineStatus[];
  readonly models: readonly ModelStatus[];
  readonly recording: RecordingStatus;
}

const iso = (t: string | undefined): string | null => (t && !t.startsWith("0001-") ? new Date(t).toISOString() : null);

/** A consumer's last delivery: nats-server 2.9 sends an RFC 3339 time (the client's types say nanoseconds). */
function lastActive(v: unknown): string | null {
  if (typeof v === "string") return iso(v);
  if (typeof v === "number" && v > 0) return new Date(v / 1e6).toISOString();
  return null;
}

/** Streams and consumers of tickflow's streams (those that exist). */
export async function natsStatus(nc: NatsConnection): Promise<Pick<StatusReport, "streams" | "consumers">> {
  const jsm = await jetstreamManager(nc);
  const streams: StreamStatus[] = [];
  const consumers: ConsumerStatus[] = [];
  for (const s of STREAMS) {
    let info: Awaited<ReturnType<typeof jsm.streams.info>>;
    try {
      info = await jsm.streams.info(s.name);
    } catch {
      continue; // not created (yet): nothing to show
    }
    const st = info.state;
    streams.push({
      name: s.name,
      subjects: info.config.subjects ?? [],
      messages: st.messages,
      bytes: st.bytes,
      first: st.messages ? iso(st.first_ts) : null,
      last: st.messages ? iso(st.last_ts) : null,
      consumers: st.consumer_count,
    });
    for await (const c of jsm.consumers.list(s.name)) {
      consumers.push({
        stream: s.name,
        name: c.name,
        filter: c.config.filter_subject ?? null,
        pending: c.num_pending,
        ackPending: c.num_ack_pending,
        redelivered: c.num_redelivered,
        lastDelivery: lastActive(c.delivered.last_active),
      });
    }
  }
  return { streams, consumers };
}

/** The deployed model of each pipeline (KV bucket tickflow_models), empty when the bucket does not exist. */
export async function modelStatus(nc: NatsConnection): Promise<ModelStatus[]> {
  let kv: Awaited<ReturnType<Kvm["open"]>>;
  try {
    kv = await new Kvm(nc).open(MODEL_BUCKET);
    await kv.status();
  } catch {
    return [];
  }
  const out: ModelStatus[] = [];
  for await (const key of await kv.keys()) {
    const e = await kv.get(key);
    if (e?.operation !== "PUT") continue;
    const d = e.json<{ name: string; version: number; modelId: string; deployedAtNs: string }>();
    out.push({
      pipeline: key,
      name: d.name,
      version: d.version,
      modelId: d.modelId,
      deployedAt: new Date(Number(BigInt(d.deployedAtNs) / 1_000_000n)).toISOString(),
    });
  }
  return out.sort((a, b) => a.pipeline.localeCompare(b.pipeline));
}

async function getJson(url: string, timeoutMs: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/** The pipeline processes of this data directory, each probed over HTTP (2 s at most). */
export async function pipelineStatus(dataDir: string, timeoutMs = 2000): Promise<PipelineStatus[]> {
  return Promise.all(
    readProcessFiles(dataDir).map(async (p): Promise<PipelineStatus> => {
      const base = { runId: p.runId, pipeline: p.pipeline, pid: p.pid, url: p.url, startedAt: p.startedAt };
      if (!processAlive(p.pid)) return { ...base, alive: false, problem: `process ${p.pid} is gone (killed?); its next start resumes from its checkpoint` };
      if (!p.url) return { ...base, alive: true, note: "no HTTP server (--http-port 0): health unknown" };
      try {
        const [ready, status] = await Promise.all([getJson(`${p.url}readyz`, timeoutMs), getJson(`${p.url}api/status`, timeoutMs)]);
        const counters = status.body.counters as { inputs?: number; deadLetters?: number } | null;
        return {
          ...base,
          alive: true,
          ready: ready.status === 200,
          state: String(status.body.state ?? ""),
          inputs: counters?.inputs,
          deadLetters: counters?.deadLetters,
          lagSeconds: (status.body.lagSeconds as number | null) ?? null,
          ...(status.body.models ? { models: status.body.models as NonNullable<PipelineStatus["models"]> } : {}),
          ...(ready.status === 200 ? {} : { problem: `not ready: ${JSON.stringify(ready.body.checks ?? ready.body)}` }),
        };
      } catch (e) {
        return { ...base, alive: true, problem: `its HTTP server at ${p.url} does not answer (${(e as Error).message})` };
      }
    }),
  );
}

/** The latest runs and the last run of each job. */
export async function recordingStatus(db: Database, path: string, limit = 8): Promise<RecordingStatus> {
  const tables = new Set((await db.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables")).map((t) => t.name));
  const runs = tables.has("runs")
    ? (
        await db.query<{ run_id: string; pipeline: string; mode: string; status: string; started_at: Date; inputs: bigint | null }>(
          `SELECT run_id, pipeline, mode, status, started_at, inputs FROM runs ORDER BY started_at DESC LIMIT ${limit}`,
        )
      ).map((r) => ({
        runId: r.run_id,
        pipeline: r.pipeline,
        mode: r.mode,
        status: r.status,
        startedAt: new Date(r.started_at).toISOString(),
        inputs: r.inputs === null ? null : Number(r.inputs),
      }))
    : [];
  const jobs = tables.has("job_runs")
    ? (
        await db.query<{ job: string; status: string; started_at: Date; attempts: number }>(
          "SELECT job, status, started_at, attempts FROM job_runs QUALIFY row_number() OVER (PARTITION BY job ORDER BY started_at DESC) = 1 ORDER BY job",
        )
      ).map((j) => ({ job: j.job, status: j.status, startedAt: new Date(j.started_at).toISOString(), attempts: Number(j.attempts) }))
    : [];
  return { path, runs, jobs };
}

/** Everything `tickflow status` shows; `nc` undefined when NATS does not answer (then `error` says why). */
export async function collectStatus(o: {
  nc?: NatsConnection;
  natsUrl: string;
  natsError?: string;
  dataDir: string;
  recording: () => Promise<RecordingStatus>;
}): Promise<StatusReport> {
  const nats = o.nc
    ? await within(
        Promise.all([natsStatus(o.nc), modelStatus(o.nc)]).then(([n, models]) => ({ ...n, models })),
        10_000,
        undefined,
      )
    : undefined;
  return {
    nats: {
      url: o.natsUrl,
      server: o.nc?.info?.version ?? null,
      ...(o.natsError ? { error: o.natsError } : nats ? {} : { error: "NATS did not answer within 10 s" }),
    },
    streams: nats?.streams ?? [],
    consumers: nats?.consumers ?? [],
    pipelines: await pipelineStatus(o.dataDir),
    models: nats?.models ?? [],
    recording: await o.recording(),
  };
}
