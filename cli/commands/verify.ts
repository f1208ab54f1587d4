// `tickflow verify`: checks the v2 signature of every message a stream holds (default ORDERS and SIGNALS) with the
// configured keys, prints the count of each verdict and the first rejections; exit code 1 if any was rejected.
import type { Command } from "commander";
import { closeNats, config, connectNats } from "../../app/environment.ts";
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
      if (result.counts.ok < result.checked) process.exitCode = 1;
    });
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
