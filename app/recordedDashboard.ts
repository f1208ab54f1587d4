// `tickflow dashboard RUN_ID`: a recorded run (replay/runFeed.ts) fed into a LiveFeed and served on the live
// dashboard's page and API, so a finished run shows what its live dashboard showed, without a connection to NATS.
import type { Database } from "../io/duckdb/database.ts";
import type { Config } from "../io/config.ts";
import { loadRunFeed, type RunFeedData } from "../replay/runFeed.ts";
import { LiveFeed } from "../ops/liveFeed.ts";
import { graphOfDeclaration, graphOfNodes } from "../ops/pipelineGraph.ts";
import { TickflowMetrics } from "../ops/metrics.ts";
import { startOpsServer, type OpsServer } from "../ops/httpServer.ts";
import { nsToIso } from "../schemas/time.ts";

/** A LiveFeed holding the recorded run: inputs first (the candles set the session dates), then each node's outputs. */
export function feedOfRecordedRun(data: RunFeedData, feed = new LiveFeed()): LiveFeed {
  const graph = graphOfDeclaration(data.declaration) ?? graphOfNodes(data.outputs.map((o) => ({ name: o.node, kind: o.kind })));
  feed.setGraph(graph);
  // The recording keeps inputs by kind; the graph counts them under the source's name when one source has that kind.
  const sourceOf = (kind: string): string => {
    const named = graph.nodes.filter((n) => n.role === "source" && n.kind === kind);
    return named.length === 1 ? named[0]!.name : kind;
  };
  for (const i of data.inputs) feed.inputItems(sourceOf(i.kind), i.kind, i.items);
  for (const o of data.outputs) feed.outputs(o.node, o.kind, o.items);
  for (const l of data.deadLetters) feed.deadLetter(l);
  return feed;
}

/** /api/status of a recorded run: the shape a live run's has (counters, watermark, models). */
export function recordedRunStatus(data: RunFeedData): Record<string, unknown> {
  const w = data.lastEventNs;
  return {
    runId: data.runId,
    pipeline: data.pipeline,
    mode: data.mode,
    state: data.status,
    recorded: true,
    startedAt: data.startedAt,
    finishedAt: data.finishedAt,
    counters: {
      inputs: data.counters.inputs ?? 0,
      batches: null,
      deadLetters: data.counters.deadLetters ?? 0,
      late: data.counters.late ?? 0,
      outputs: data.counters.outputs,
    },
    watermark: w === undefined ? null : { ns: w.toString(), iso: nsToIso(w) },
    lagSeconds: null,
    ...(Object.keys(data.models).length ? { models: { nodes: data.models, rows: {} } } : {}),
  };
}

export interface RecordedDashboard {
  readonly url: string;
  readonly data: RunFeedData;
  close(): Promise<void>;
}

/** Loads the run (then the database may be closed) and serves it on `port` (0: a free one). */
export async function serveRecordedRun(db: Database, runId: string, o: { port: number; host?: string; config: Config }): Promise<RecordedDashboard> {
  const data = await loadRunFeed(db, runId);
  const feed = feedOfRecordedRun(data);
  const server: OpsServer = await startOpsServer({
    port: o.port,
    host: o.host,
    allowedHosts: o.config.httpHosts,
    metrics: new TickflowMetrics(),
    feed,
    status: () => recordedRunStatus(data),
    readiness: [],
  });
  return { url: server.url, data, close: () => server.close() };
}
