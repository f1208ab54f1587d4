// `tickflow backup DIR` / `tickflow restore DIR`: the recording as Parquet files with a checked manifest, and back.
import type { Command } from "commander";
import { copyFileSync, existsSync } from "node:fs";
import { auditAnchorPath } from "../../ops/auditAnchor.ts";
import { config, openDatabase } from "../../app/environment.ts";
import { isRecordingDamage } from "../../app/recordingCheck.ts";
import type { Config } from "../../io/config.ts";
import { Database } from "../../io/duckdb/database.ts";
import { createBackup, restoreBackup, type BackupProgress } from "../../replay/backup.ts";
import { AUDIT_TABLE, AuditLog } from "../../ops/audit.ts";
import { cliActor } from "../../app/liveOps.ts";
import { progressBar, type Progress } from "../progress.ts";

/** Below these, the work takes a moment and says nothing until done. */
const LONG_ROWS = 1_000_000;
const LONG_BYTES = 256 * 1024 * 1024;

/** Progress on stderr for long exports, imports and checksums. */
function reporter(): { onProgress: BackupProgress; stop(): void } {
  let bar: Progress | undefined;
  let phase: string | undefined;
  return {
    onProgress: (p, done, total) => {
      if (p !== "checksum") {
        if (done === 0 && total >= LONG_ROWS)
          process.stderr.write(`tickflow: ${p === "export" ? "exporting" : "importing"} ${total.toLocaleString("en-US")} rows ...\n`);
        return;
      }
      if (total < LONG_BYTES) return;
      if (phase !== p) {
        bar?.stop();
        bar = progressBar("checksums", total, "bytes");
        phase = p;
      }
      bar!.update(done, total);
    },
    stop: () => bar?.stop(),
  };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Refuses to replace a recording that another process holds open; a damaged one is what a restore replaces. */
async function assertNotOpenElsewhere(cfg: Config, path: string): Promise<void> {
  if (!existsSync(path)) return;
  try {
    await (await Database.open(path)).close();
  } catch (e) {
    if (isRecordingDamage(e)) return;
    // What every command says when the file is held (or the reason it cannot be opened).
    await (await openDatabase({ ...cfg, dbPath: path })).close();
  }
}

export function register(program: Command): void {
  program
    .command("backup")
    .description("export the whole recording as Parquet into a new directory, with a manifest of its tables, row counts and file checksums")
    .argument("<dir>", "new (or empty) directory for the backup")
    .action(async (dir: string) => {
      const db = await openDatabase(config(), { mustExist: true });
      const progress = reporter();
      try {
        const m = await createBackup(db, dir, { onProgress: progress.onProgress });
        progress.stop();
        const rows = m.tables.reduce((n, t) => n + t.rows, 0);
        const bytes = m.files.reduce((n, f) => n + f.bytes, 0);
        console.log(
          `backed up ${db.path} into ${dir}: ${m.tables.length} tables, ${rows.toLocaleString("en-US")} rows, ${m.files.length} files (${mb(bytes)}); ` +
            `restore with: tickflow restore ${dir}`,
        );
      } finally {
        progress.stop();
        await db.close();
      }
    });
  program
    .command("restore")
    .description("restore a backup made by `tickflow backup` into a new recording file; checks every file's sha256 and every table's row count")
    .argument("<dir>", "the backup directory")
    .option("--to <file>", "DuckDB file to restore into (default: the recording, TICKFLOW_DB)")
    .option("--force", "replace an existing recording (it is kept beside as <file>.replaced-<time>)")
    .action(async (dir: string, o: { to?: string; force?: boolean }) => {
      const cfg = config();
      const target = o.to ?? cfg.dbPath;
      if (o.force) await assertNotOpenElsewhere(cfg, target);
      const progress = reporter();
      try {
        const r = await restoreBackup(dir, target, { force: o.force, onProgress: progress.onProgress });
        progress.stop();
        const rows = r.manifest.tables.reduce((n, t) => n + t.rows, 0);
        console.log(
          `restored ${dir} (backup of ${r.manifest.source}, ${r.manifest.createdAt}) into ${r.target}: ${r.manifest.tables.length} tables, ` +
            `${rows.toLocaleString("en-US")} rows; every file's sha256 and every table's row count checked`,
        );
        if (r.replaced) console.log(`the recording it replaced is kept as ${r.replaced}`);
        // The audit anchor beside the file described the recording that was there: the restored log would read as
        // rewritten or cut. Anchor the restored head (the rows stay exactly those of the backup).
        const anchor = auditAnchorPath(r.target);
        if (r.replaced && anchor && existsSync(anchor)) copyFileSync(anchor, auditAnchorPath(r.replaced)!); // kept with what it anchors
        const db = await Database.open(r.target);
        try {
          const [has] = await db.query<{ n: bigint }>("SELECT count(*) n FROM information_schema.tables WHERE table_name = $1", [AUDIT_TABLE]);
          const a = has!.n > 0n ? await (await AuditLog.open(db, { actor: cliActor() })).anchorHead() : undefined;
          if (a) console.log(`audit trail of the restored recording anchored at its head #${a.lastSeq} (${a.headHash.slice(0, 12)}…)`);
        } finally {
          await db.close();
        }
      } finally {
        progress.stop();
      }
    });
}
