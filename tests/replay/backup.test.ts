// `tickflow backup` and `tickflow restore` as processes (compiled dist/: `npm run build` first) on a real recording:
// the restored file holds the same tables, row for row, and replays to the same digests; a backup that is damaged,
// incomplete or not a backup at all is refused, naming what is wrong; an existing recording is only replaced on --force.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LiveRun } from "../../app/liveRun.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { Database } from "../../io/duckdb/database.ts";
import { MANIFEST, type BackupManifest } from "../../replay/backup.ts";
import { AuditLog } from "../../ops/audit.ts";
import { JetStreamPublisher, type OutgoingMessage } from "../../sinks/jetStreamPublisher.ts";
import { importFile } from "../../sources/importFile.ts";
import { toOutgoing } from "../../sources/simulatedFeed.ts";
import { DEFAULT_SIM_START_NS, simulate } from "../../sources/simulator.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin", "tickflow.js");
const SENTIMENT = join(ROOT, "pipelines", "momentum-sentiment.yaml");
const BARS = join(ROOT, "pipelines", "momentum-bars.yaml");

const digestOf = (out: string): string | undefined => /^digest: ([0-9a-f]{64})$/m.exec(out)?.[1];

describe("tickflow backup / restore", () => {
  let nats: NatsFixture;
  let tmp: { dir: string; cleanup: () => void };
  let rec: string;
  const run = (args: string[], db = rec) =>
    spawnSync(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, TICKFLOW_DB: db, TICKFLOW_DATA: tmp.dir, NATS_URL: nats.url, TICKFLOW_HTTP_PORT: "0" },
      encoding: "utf8",
      timeout: 60_000,
    });

  beforeAll(async () => {
    nats = await startNats();
    tmp = tempDir();
    rec = join(tmp.dir, "rec.duckdb");
    // A recording with imported bars and a stopped (checkpointed) live run: inputs, outputs, checkpoints, runs.
    const db = await Database.open(rec);
    try {
      await importFile(nats.nc, db, { file: join(ROOT, "tests/fixtures/market/orcl-1995-2014.txt"), symbol: "ORCL" });
      const feed: OutgoingMessage[] = [];
      for (const m of simulate({ symbols: ["AAPL", "MSFT"], seed: 3, startNs: DEFAULT_SIM_START_NS, tradesPerSecond: 2 })) {
        feed.push(toOutgoing(m));
        if (feed.length === 3_000) break;
      }
      await new JetStreamPublisher(nats.nc, { inFlight: 512 }).publishAll(feed);
      const live = new LiveRun({ pipeline: await loadPipeline(SENTIMENT), nc: nats.nc, db, runId: "live", print: () => {} });
      await live.start();
      await live.waitFor(() => live.run.counters.inputs >= 3_000, 60_000);
      await live.stop();
      // An audit trail, anchored beside the file: the restored copy must verify against its own anchor.
      await (await AuditLog.open(db, { actor: "test" })).audit("config.start", "rec", { note: "before the backup" });
    } finally {
      await db.close();
    }
  });
  afterAll(async () => {
    await stopNats(nats);
    tmp?.cleanup();
  });

  it("restores into another file the same tables row for row, which replay to the same digests", async () => {
    const backup = join(tmp.dir, "backup");
    const b = run(["backup", backup]);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toMatch(
      new RegExp(`^backed up ${rec} into ${backup}: \\d+ tables, [\\d,]+ rows, \\d+ files \\([\\d.]+ MB\\); restore with: tickflow restore ${backup}$`, "m"),
    );
    const manifest = JSON.parse(readFileSync(join(backup, MANIFEST), "utf8")) as BackupManifest;
    expect(manifest).toMatchObject({ format: "tickflow-backup", formatVersion: 1, tickflow: "0.1.0", source: rec });
    expect(new Date(manifest.createdAt).getTime()).toBeGreaterThan(Date.now() - 120_000);
    const tables = new Map(manifest.tables.map((t) => [t.name, t.rows]));
    for (const t of ["bars", "trades", "news", "runs", "run_inputs", "checkpoints", "features", "run_events"])
      expect(tables.get(t) ?? 0, `${t} of ${[...tables.keys()]}`).toBeGreaterThan(0);
    expect(manifest.files.map((f) => f.name)).toEqual(
      readdirSync(backup)
        .filter((n) => n !== MANIFEST)
        .sort(),
    );
    expect(manifest.files.map((f) => f.name)).toEqual(expect.arrayContaining(["schema.sql", "load.sql", "trades.parquet", "checkpoints.parquet"]));
    for (const f of manifest.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);

    const restored = join(tmp.dir, "restored", "rec.duckdb");
    const r = run(["restore", backup, "--to", restored]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`restored ${backup} (backup of ${rec}, ${manifest.createdAt}) into ${restored}: ${manifest.tables.length} tables`);
    expect(readdirSync(join(tmp.dir, "restored"))).toEqual(["rec.duckdb", "rec.duckdb.audit-anchor"]);
    expect(r.stdout).toMatch(/audit trail of the restored recording anchored at its head #1 /);
    const verified = spawnSync(process.execPath, [BIN, "audit", "--verify"], { env: { ...process.env, TICKFLOW_DB: restored }, encoding: "utf8" });
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);

    // Every table: the same rows (both ways, duplicates counted), the same types.
    const db = await Database.open(rec);
    try {
      await db.run(`ATTACH '${restored}' AS restored (READ_ONLY)`);
      const names = (
        await db.query<{ t: string }>("SELECT table_name t FROM information_schema.tables WHERE table_catalog = 'rec' AND table_schema = 'main'")
      ).map((r) => r.t);
      expect(names.sort()).toEqual([...tables.keys()].sort());
      for (const t of names) {
        const [diff] = await db.query<{ a: bigint; b: bigint; n: bigint }>(
          `SELECT (SELECT count(*) FROM (SELECT * FROM rec.main."${t}" EXCEPT ALL SELECT * FROM restored.main."${t}")) a,
                  (SELECT count(*) FROM (SELECT * FROM restored.main."${t}" EXCEPT ALL SELECT * FROM rec.main."${t}")) b,
                  (SELECT count(*) FROM restored.main."${t}") n`,
        );
        expect(diff, t).toEqual({ a: 0n, b: 0n, n: BigInt(tables.get(t)!) });
        const types = (c: string) =>
          db.query(
            `SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = '${c}' AND table_name = '${t}' ORDER BY ordinal_position`,
          );
        expect(await types("restored"), t).toEqual(await types("rec"));
      }
    } finally {
      await db.close();
    }

    for (const args of [
      ["replay", BARS, "--no-record"],
      ["replay", SENTIMENT, "--run", "live", "--no-record"],
    ]) {
      const [a, c] = [run(args), run(args, restored)];
      expect(a.status, a.stderr).toBe(0);
      expect(c.status, c.stderr).toBe(0);
      expect(digestOf(a.stdout), args[1]).toBeDefined();
      expect(digestOf(c.stdout), args[1]).toBe(digestOf(a.stdout));
    }

    // An existing recording is replaced only on --force, and kept beside.
    const again = run(["restore", backup, "--to", restored]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`tickflow: ${restored} already holds a recording; restore into another file (--to FILE, or TICKFLOW_DB) or give --force`);
    expect(again.stderr).toContain("[RESTORE_TARGET_EXISTS]");
    const forced = run(["restore", backup, "--to", restored, "--force"]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/^the recording it replaced is kept as .*rec\.duckdb\.replaced-\d{4}-\d\d-\d\dT/m);
    expect(readdirSync(join(tmp.dir, "restored")).sort()).toEqual([
      "rec.duckdb",
      "rec.duckdb.audit-anchor",
      expect.stringMatching(/^rec\.duckdb\.replaced-[^.]+$/),
      expect.stringMatching(/^rec\.duckdb\.replaced-.+\.audit-anchor$/),
    ]);
  }, 180_000);

  it("refuses a damaged or incomplete backup naming the file, and a directory that is not a backup", () => {
    const backup = join(tmp.dir, "backup-2");
    expect(run(["backup", backup]).status).toBe(0);
    const target = join(tmp.dir, "never.duckdb");

    const flipped = join(tmp.dir, "flipped");
    cpSync(backup, flipped, { recursive: true });
    const file = join(flipped, "trades.parquet");
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(file, bytes);
    const f = run(["restore", flipped, "--to", target]);
    expect(f.status).toBe(1);
    expect(f.stderr).toMatch(
      /^tickflow: backup .*flipped: trades\.parquet is damaged \(\d+ bytes, sha256 [0-9a-f]{12}…; the manifest says \d+ bytes, [0-9a-f]{12}…\)/m,
    );
    expect(f.stderr).toContain("[BACKUP_INVALID]");

    const missing = join(tmp.dir, "missing");
    cpSync(backup, missing, { recursive: true });
    rmSync(join(missing, "news.parquet"));
    const m = run(["restore", missing, "--to", target]);
    expect(m.status).toBe(1);
    expect(m.stderr).toContain(`tickflow: backup ${missing}: news.parquet is missing (the manifest lists it)`);

    const notBackup = join(tmp.dir, "not-a-backup");
    mkdirSync(notBackup);
    writeFileSync(join(notBackup, "trades.parquet"), "PAR1");
    const n = run(["restore", notBackup, "--to", target]);
    expect(n.status).toBe(1);
    expect(n.stderr).toContain(`tickflow: ${notBackup} is not a tickflow backup (no ${MANIFEST}`);
    writeFileSync(join(notBackup, MANIFEST), JSON.stringify({ hello: "world" }));
    expect(run(["restore", notBackup, "--to", target]).stderr).toContain(`tickflow: ${notBackup} is not a tickflow backup: ${MANIFEST} does not describe one`);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(tmp.dir).filter((x) => x.startsWith("never"))).toEqual([]);

    const full = run(["backup", backup]);
    expect(full.status).toBe(1);
    expect(full.stderr).toContain(`tickflow: backup ${backup}: the directory is not empty; give a new or empty directory`);
  }, 120_000);

  it("refuses to back up, or restore over, a recording another process holds open", async () => {
    const holder = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        "import { DuckDBInstance } from '@duckdb/node-api'; const i = await DuckDBInstance.create(process.argv[1]); await i.connect(); console.log('ready'); setInterval(() => {}, 1000);",
        rec,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
        holder.on("exit", (code) => reject(new Error(`holder exited ${code}`)));
      });
      const b = run(["backup", join(tmp.dir, "backup-held")]);
      expect(b.status).toBe(1);
      expect(b.stderr).toContain(`tickflow: ${rec} is open in another tickflow process (DuckDB allows one writer per file)`);
      const r = run(["restore", join(tmp.dir, "backup"), "--force"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`tickflow: ${rec} is open in another tickflow process`);
      expect(existsSync(join(tmp.dir, "backup-held", MANIFEST))).toBe(false);
    } finally {
      holder.kill("SIGKILL");
    }
  }, 60_000);
});
