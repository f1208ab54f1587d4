// `tickflow audit [--verify]`: the audit trail (config at start, run start/stop, job runs, model deploys);
// --verify recomputes the hash chain and names every row that was changed, removed or reordered.
import type { Command } from "commander";
import { config, openDatabase } from "../../app/environment.ts";
import { readAuditLog, verifyAuditChain } from "../../ops/audit.ts";
import { nsToIso } from "../../schemas/time.ts";

export function register(program: Command): void {
  program
    .command("audit")
    .description("show the audit trail; --verify checks its hash chain")
    .option("--verify", "recompute the hash chain and report tampering (exit code 1 if any)")
    .option("--limit <n>", "newest entries to show", "50")
    .option("--action <prefix>", "only actions starting with this, e.g. run. or job.")
    .action(async (o: { verify?: boolean; limit: string; action?: string }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit must be a positive integer, got ${o.limit}`);
      const db = await openDatabase(config(), { mustExist: true });
      try {
        if (o.verify) {
          const v = await verifyAuditChain(db);
          if (v.ok) console.log(`audit chain intact: ${v.rows} entries; head hash ${v.headHash}`);
          else {
            console.log(`audit chain BROKEN: ${v.problems.length} problem(s) in ${v.rows} entries`);
            for (const p of v.problems) console.log(`  #${p.seq}: ${p.problem}`);
            process.exitCode = 1;
          }
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
