// `tickflow verify`: checks the v2 signature of every message a stream holds (default ORDERS and SIGNALS) with the
// configured keys, prints the count of each verdict and the first rejections; exit code 1 if any was rejected.
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { closeNats, config, connectNats, openDatabase } from "../../app/environment.ts";
import { cliActor } from "../../app/liveOps.ts";
import { AuditLog } from "../../ops/audit.ts";
import type { Config } from "../../io/config.ts";
import type { Database } from "../../io/duckdb/database.ts";
import { REJECT_REASONS } from "../../core/signing.ts";
import { parseDurationNs } from "../../schemas/time.ts";
import { SigningKeyError } from "../../sinks/signingKeys.ts";
import { configuredKeyring } from "../../app/credentials.ts";
import { verifyStream, type StreamVerification } from "../../sources/streamVerification.ts";

export function register(program: Command): void {
  program
    .command("verify")
    .description("verify the signatures of the messages a stream holds (orders, fills, signals); exit code 1 if any is rejected")
    .option("--stream <name...>", "streams to read", ["ORDERS", "SIGNALS"])
    .option("--subject <filter>", "only subjects matching this filter, e.g. orders.AAPL or fills.>")
    .option("--last <n>", "only the last N messages of each stream")
    .option("--tolerance <d>", "how far a timestamp may lie from the time the stream stored the message, e.g. 5m", "5m")
    .option("--show <n>", "rejections to list", "10")
    .action(async (o: { stream: string[]; subject?: string; last?: string; tolerance: string; show: string }) => {
      const last = o.last === undefined ? undefined : Number(o.last);
      if (last !== undefined && (!Number.isInteger(last) || last < 1)) throw new Error(`--last must be a positive integer, got ${o.last}`);
      const show = Number(o.show);
      if (!Number.isInteger(show) || show < 0) throw new Error(`--show must be a non-negative integer, got ${o.show}`);
      const toleranceMs = Number(parseDurationNs(o.tolerance) / 1_000_000n);
      if (toleranceMs <= 0) throw new Error(`--tolerance must be at least 1ms, got ${o.tolerance}`);
      const cfg = config();
      const keyring = configuredKeyring(cfg);
      if (!keyring)
        throw new SigningKeyError(
          "no keys to verify with: set TICKFLOW_SIGNING_KEYS_FILE (kid=hexkey lines, every key that may have signed) or TICKFLOW_HMAC_KEY / TICKFLOW_HMAC_KEY_FILE, or store them with `tickflow secrets set signing/<kid>` (`tickflow up` generates one)",
        );
      const nc = await connectNats(cfg, "admin");
      let result: StreamVerification;
      try {
        result = await verifyStream(nc, keyring, {
          streams: o.stream,
          subject: o.subject,
          last,
          toleranceMs,
          keepRejections: show,
        });
      } finally {
        await closeNats(nc);
      }
      for (const line of verificationReport(result, o.stream)) console.log(line);
      if (result.counts.ok < result.checked) {
        process.exitCode = 1;
        console.log(await auditRejections(cfg, result, o.stream));
      }
    });
}

/**
 * Appends what was found to the recording's audit trail (`verify.rejected`, one entry per listed rejection, and the
 * counts), when there is a recording this process may write: a live run holds it open, then it says so instead.
 */
async function auditRejections(cfg: Config, r: StreamVerification, streams: readonly string[]): Promise<string> {
  if (!existsSync(cfg.dbPath)) return `not audited: no recording at ${cfg.dbPath}`;
  let db: Database;
  try {
    db = await openDatabase(cfg, { mustExist: true });
  } catch (e) {
    return `not audited: ${(e as Error).message}`;
  }
  try {
    const audit = await AuditLog.open(db, { actor: cliActor() });
    for (const x of r.rejections)
      await audit.audit("verify.rejected", `${x.stream} #${x.seq}`, { subject: x.subject, msgId: x.msgId ?? null, reason: x.reason });
    await audit.audit("verify.run", streams.join(","), { checked: r.checked, counts: r.counts });
    return `audited: ${r.rejections.length} rejection(s) and the counts appended to the audit trail of ${cfg.dbPath}`;
  } finally {
    await db.close();
  }
}

/** The lines `tickflow verify` prints: a table of verdicts, then the first rejections. */
export function verificationReport(r: StreamVerification, streams: readonly string[]): string[] {
  const lines = [`checked ${r.checked} message(s) of ${streams.join(", ")}`, `  ${"verdict".padEnd(14)} count`];
  for (const v of ["ok", ...REJECT_REASONS] as const) lines.push(`  ${v.padEnd(14)} ${r.counts[v]}`);
  const rejected = r.checked - r.counts.ok;
  if (rejected === 0) lines.push(r.checked === 0 ? "nothing to verify: the streams are empty" : "all signatures valid");
  else {
    lines.push(`${rejected} rejected${r.rejections.length < rejected ? `, the first ${r.rejections.length}` : ""}:`);
    for (const x of r.rejections) lines.push(`  ${x.stream} #${x.seq}  ${x.subject}  ${x.msgId ?? "(no msg id)"}  ${x.reason}`);
  }
  return lines;
}
