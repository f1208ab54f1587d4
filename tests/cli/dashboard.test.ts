// `tickflow dashboard RUN_ID` as a user runs it: a replayed sma-crossover run served from the recording (the file is
// released while the page is served), its API carrying the recording's last equity; Ctrl-C ends it with 0; an
// unknown run id is refused with the runs the recording has.
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Database } from "../../io/duckdb/database.ts";
import { BarMessage } from "../../schemas/bar.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { orclBars } from "../trading/pipelineHelpers.ts";

const ROOT = join(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin", "tickflow.js");

describe("tickflow dashboard", () => {
  it("serves a recorded run: the recording's last equity, candles of its input bars; Ctrl-C exits 0; an unknown run is refused", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const dbPath = join(dir, "r.duckdb");
      const env = { ...process.env, TICKFLOW_DB: dbPath, TICKFLOW_DATA: dir, CI: "true" };
      const bars = orclBars().slice(0, 400);
      const db = await Database.open(dbPath);
      await new DuckDbRecorder(db).writeInputs(
        BarMessage,
        bars,
        bars.map((_, i) => ({ subject: "md.bars.1d.ORCL", streamSeq: BigInt(i + 1) })),
      );
      await db.close();
      const replay = spawnSync(process.execPath, [BIN, "replay", join(ROOT, "pipelines", "sma-crossover.yaml"), "--run-id", "dash-r1"], {
        env,
        encoding: "utf8",
        timeout: 90_000,
      });
      expect(replay.status, replay.stderr).toBe(0);

      const child = spawn(process.execPath, [BIN, "dashboard", "dash-r1", "--http-port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no URL within 60 s; stdout ${out}; stderr ${err}`)), 60_000);
          child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
            if (m) {
              clearTimeout(timer);
              resolve(m[1]!);
            }
          });
          void exited.then((code) => reject(new Error(`exited ${code} before serving: ${err}`)));
        });
        expect(out).toMatch(/dashboard of run dash-r1 \(sma-crossover, replay, \w+\)/);

        // The dashboard holds no lock on the recording: it can be opened read-write while the page is served.
        const again = await Database.open(dbPath);
        const [last] = await again.query<{ equity: number }>("SELECT equity FROM equity WHERE run_id = 'dash-r1' ORDER BY out_seq DESC LIMIT 1");
        const [fills] = await again.query<{ n: bigint }>("SELECT count(*) n FROM fills WHERE run_id = 'dash-r1'");
        await again.close();

        const trading = (await (await fetch(`${url}api/trading`)).json()) as { accounts: { account: string; latest: { equity: number } }[]; fills: unknown[] };
        expect(trading.accounts.map((a) => a.account)).toEqual(["paper"]);
        expect(trading.accounts[0]!.latest.equity).toBe(last!.equity);
        expect(Number(fills!.n)).toBeGreaterThan(0);
        expect(trading.fills.length).toBe(Math.min(Number(fills!.n), 200)); // the latest fills, bounded
        const candles = (await (await fetch(`${url}api/candles`)).json()) as { symbols: Record<string, { candles: { close: number }[]; markers: unknown[] }> };
        expect(candles.symbols.ORCL!.candles.at(-1)!.close).toBe(bars.at(-1)!.close);
        expect(candles.symbols.ORCL!.markers.length).toBeGreaterThan(0);
        const status = (await (await fetch(`${url}api/status`)).json()) as { runId: string; recorded: boolean };
        expect(status).toMatchObject({ runId: "dash-r1", recorded: true });
        expect((await fetch(url)).status).toBe(200);
      } finally {
        child.kill("SIGINT");
      }
      expect(await exited).toBe(0);

      const unknown = spawnSync(process.execPath, [BIN, "dashboard", "nope", "--http-port", "0"], { env, encoding: "utf8", timeout: 60_000 });
      expect(unknown.status).not.toBe(0);
      expect(unknown.stderr).toMatch(/no run nope in .*r\.duckdb; the latest runs: dash-r1/);
    } finally {
      cleanup();
    }
  }, 180_000);
});
