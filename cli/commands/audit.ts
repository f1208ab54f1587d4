// `tickflow audit [--verify]`: the audit trail (config at start, run start/stop, job runs, model deploys);
// --verify recomputes the hash chain, compares its head with the anchor file and names every row that was changed,
// removed or reordered; --reanchor anchors the current head again after the anchor was lost.
import type { Command } from "commander";
import { config, openDatabase } from "../../app/environment.ts";
import { cliActor } from "../../app/liveOps.ts";
import { AuditLog, type AuditVerification, readAuditLog, verifyAuditChain } from "../../ops/audit.ts";
import { nsToIso } from "../../schemas/time.ts";

export function register(program: Command): void {
  program
    .command("audit")
    .description("show the audit trail; --verify checks its hash chain and anchor")
    .option("--verify", "recompute the hash chain, compare it with the anchor file and report tampering (exit code 1 if any)")
    .option("--reanchor <reason>", "anchor the current head anew (after a lost anchor, once --verify was looked at); recorded as audit.reanchor")
    .option("--limit <n>", "newest entries to show", "50")
    .option("--action <prefix>", "only actions starting with this, e.g. run. or job.")
    .action(async (o: { verify?: boolean; reanchor?: string; limit: string; action?: string }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit must be a positive integer, got ${o.limit}`);
      const db = await openDatabase(config(), { mustExist: true });
      try {
        if (o.verify) {
          const v = await verifyAuditChain(db);
          printVerification(v);
          if (!v.ok) process.exitCode = 1;
          return;
        }
        if (o.reanchor !== undefined) {
          const e = await (await AuditLog.open(db, { actor: cliActor() })).reanchor(o.reanchor);
          console.log(`audit trail anchored anew at #${e.seq} (audit.reanchor), head hash ${e.hash}`);
          return;
        }
        const rows = (await readAuditLog(db, o.action ? undefined : limit)).filter((r) => !o.action || r.action.startsWith(o.action)).slice(-limit);
        if (rows.length === 0) console.log("the audit trail is empty; tickflow run and tickflow start record to it");
        for (const r of rows)
          console.log(
            `#${r.seq} ${nsToIso(r.tsNs).slice(0, 23)}Z  ${r.actor}  ${r.action}  ${r.subject}  ${r.details.length > 200 ? `${r.details.slice(0, 200)}…` : r.details}`,
          );
      } finally {
        await db.close();
      }
    });
}

function printVerification(v: AuditVerification): void {
  const anchor = v.anchor
    ? `anchor ${v.anchorPath} (${v.anchor.rows} entries, head #${v.anchor.lastSeq})`
    : v.anchorPath
      ? `anchor ${v.anchorPath} (absent)`
      : "no anchor file (in-memory database)";
  console.log(`checked: the hash chain of ${v.rows} entries (hashes, links, sequence) and the head against the ${anchor}`);
  if (v.ok) console.log(`audit chain intact: ${v.rows} entries; head hash ${v.headHash}`);
  else {
    console.log(`audit chain BROKEN: ${v.problems.length} problem(s) in ${v.rows} entries`);
    for (const p of v.problems) console.log(`  ${p.seq === 0n ? "anchor" : `#${p.seq}`}: ${p.problem}`);
  }
  for (const w of v.warnings) console.log(`warning: ${w}`);
}
