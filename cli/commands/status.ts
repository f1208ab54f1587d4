// `tickflow status [--json]`: one screen of what runs and how it stands (app/status.ts). Reads NATS as admin, the
// pipeline processes' files and HTTP status, and the recording when no running pipeline holds it. Exit code 1 when
// something needs a look: NATS unreachable, a pipeline gone or not ready.
import { existsSync } from "node:fs";
import type { Command } from "commander";
import type { NatsConnection } from "@nats-io/transport-node";
import { closeNats, config, connectNats, openDatabase } from "../../app/environment.ts";
import { collectStatus, recordingStatus, type StatusReport } from "../../app/status.ts";
import { redactUrl } from "../../core/redact.ts";

export function register(program: Command): void {
  program
    .command("status")
    .description("streams, consumers, running pipelines and their health, deployed models, latest runs and jobs; exit code 1 if something needs a look")
    .option("--json", "the same as JSON")
    .action(async (o: { json?: boolean }) => {
      const cfg = config();
      let nc: NatsConnection | undefined;
      let natsError: string | undefined;
      try {
        nc = await connectNats(cfg, "admin");
      } catch (e) {
        natsError = (e as Error).message;
      }
      let report: StatusReport;
      try {
        report = await collectStatus({
          nc,
          natsUrl: redactUrl(cfg.natsUrl),
          natsError,
          dataDir: cfg.dataDir,
          recording: async () => {
            if (!existsSync(cfg.dbPath)) return { path: cfg.dbPath, unavailable: "no recording yet" };
            try {
              const db = await openDatabase(cfg, { mustExist: true });
              try {
                return await recordingStatus(db, cfg.dbPath);
              } finally {
                await db.close();
              }
            } catch (e) {
              return { path: cfg.dbPath, unavailable: (e as Error).message };
            }
          },
        });
      } finally {
        if (nc) await closeNats(nc);
      }
      if (o.json) console.log(JSON.stringify(report, null, 2));
      else for (const line of statusLines(report)) console.log(line);
      if (needsALook(report)) process.exitCode = 1;
    });
}

/** NATS unreachable, or a pipeline process gone, silent or not ready. */
export function needsALook(r: StatusReport): boolean {
  return r.nats.error !== undefined || r.pipelines.some((p) => !p.alive || p.problem !== undefined);
}

const n = (x: number): string => x.toLocaleString("en-US");
const bytes = (b: number): string =>
  b >= 1 << 30 ? `${(b / (1 << 30)).toFixed(1)} GiB` : b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : `${(b / 1024).toFixed(1)} KiB`;
const time = (t: string | null): string => (t ? `${t.slice(0, 19)}Z` : "-");

/** Aligns rows of cells into columns. */
function table(rows: readonly (readonly string[])[], indent = "  "): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i]!.length))) ?? [];
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
}

/** The human-readable screen. */
export function statusLines(r: StatusReport): string[] {
  const out: string[] = [];
  out.push(r.nats.error ? `NATS ${r.nats.url}: ${r.nats.error}` : `NATS ${r.nats.url} (nats-server ${r.nats.server ?? "?"})`);
  out.push("", "streams");
  if (r.streams.length === 0) out.push("  none (tickflow up creates them)");
  else
    out.push(
      ...table([
        ["name", "subjects", "messages", "size", "first", "last", "consumers"],
        ...r.streams.map((s) => [s.name, s.subjects.join(" "), n(s.messages), bytes(s.bytes), time(s.first), time(s.last), String(s.consumers)]),
      ]),
    );
  out.push("", "consumers");
  if (r.consumers.length === 0) out.push("  none");
  else
    out.push(
      ...table([
        ["stream/consumer", "filter", "pending", "unacked", "redelivered", "last delivery"],
        ...r.consumers.map((c) => [`${c.stream}/${c.name}`, c.filter ?? "-", n(c.pending), n(c.ackPending), n(c.redelivered), time(c.lastDelivery)]),
      ]),
    );
  out.push("", "pipelines running here");
  if (r.pipelines.length === 0) out.push("  none (tickflow run writes data/run/<run id>.json while it runs)");
  for (const p of r.pipelines) {
    const health = !p.alive ? "GONE" : p.ready === undefined ? "?" : p.ready ? "ready" : "NOT READY";
    const figures =
      p.inputs === undefined
        ? ""
        : `  inputs ${n(p.inputs)}  dead letters ${n(p.deadLetters ?? 0)}  lag ${p.lagSeconds == null ? "-" : `${p.lagSeconds.toFixed(1)} s`}`;
    out.push(`  ${p.runId} (${p.pipeline})  pid ${p.pid}  ${health}${p.state ? ` ${p.state}` : ""}${figures}${p.url ? `  ${p.url}` : ""}`);
    if (p.problem ?? p.note) out.push(`    ${p.problem ?? p.note}`);
  }
  out.push("", "models deployed");
  if (r.models.length === 0) out.push("  none");
  else out.push(...table(r.models.map((m) => [m.pipeline, `${m.name} v${m.version}`, m.modelId, `deployed ${time(m.deployedAt)}`])));
  out.push("", `recording ${r.recording.path}`);
  if (r.recording.unavailable) out.push(`  ${r.recording.unavailable}`);
  else {
    out.push("  latest runs");
    if (!r.recording.runs?.length) out.push("    none");
    else
      out.push(
        ...table(
          r.recording.runs.map((x) => [x.runId, x.pipeline, x.mode, x.status, time(x.startedAt), x.inputs === null ? "-" : `${n(x.inputs)} inputs`]),
          "    ",
        ),
      );
    out.push("  last job runs");
    if (!r.recording.jobs?.length) out.push("    none");
    else
      out.push(
        ...table(
          r.recording.jobs.map((j) => [j.job, j.status, time(j.startedAt), `${j.attempts} attempt(s)`]),
          "    ",
        ),
      );
  }
  return out;
}
