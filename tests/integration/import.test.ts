// `tickflow import` on real parts: a recorded daily series with malformed rows goes into the stream and the
// recording once (a second import stores nothing twice), bad rows reach dlq.import with file:line and reason,
// and the momentum-bars pipeline replays the imported series to a stable digest.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { Database } from "../../io/duckdb/database.ts";
import { importFile } from "../../sources/importFile.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { replay } from "../../replay/replay.ts";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/market");

describe("import (real nats-server, real DuckDB)", () => {
  let nats: NatsFixture;
  let db: Database;
  let cleanup: () => void;

  beforeAll(async () => {
    nats = await startNats();
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    db = await Database.open(join(tmp.dir, "rec.duckdb"));
  });
  afterAll(async () => {
    await db?.close();
    await stopNats(nats);
    cleanup?.();
  });

  it("imports good rows, reports each malformed row with file, line and reason, and never stores twice", async () => {
    const dlq: string[] = [];
    const sub = nats.nc.subscribe("dlq.import");
    void (async () => {
      for await (const m of sub) dlq.push(m.headers?.get("Tickflow-Reason") ?? "");
    })();
    const file = join(FIXTURES, "malformed-daily.txt");
    const first = await importFile(nats.nc, db, { file, symbol: "SX5E" });
    expect(first.kind).toBe("bar");
    expect(first.timeframe).toBe("1d");
    expect(first.errors.length).toBeGreaterThan(0);
    for (const e of first.errors) expect(e.reason).toMatch(/field "\w+"/);
    expect(first.published).toBe(first.parsed);
    expect(first.recorded).toBe(first.parsed);
    const again = await importFile(nats.nc, db, { file, symbol: "SX5E" });
    expect(again.published).toBe(0);
    expect(again.recorded).toBe(0);
    const jsm = await jetstreamManager(nats.nc);
    expect((await jsm.streams.info("MARKET")).state.messages).toBe(first.parsed);
    const [n] = await db.query<{ n: bigint }>("SELECT count(*) n FROM bars WHERE symbol = 'SX5E'");
    expect(Number(n!.n)).toBe(first.parsed);
    await nats.nc.flush();
    for (let i = 0; i < 50 && dlq.length < first.errors.length; i++) await new Promise((r) => setTimeout(r, 20));
    expect(dlq.length).toBe(2 * first.errors.length); // a plain subscriber sees both imports' rejects ...
    expect((await jsm.streams.info("DLQ")).state.messages).toBe(first.errors.length); // ... the stream stores them once
    expect(dlq[0]).toMatch(new RegExp(`malformed-daily\\.txt:${first.errors[0]!.line}: field`));
  });

  it("replays an imported real series through momentum-bars to the same digest twice", async () => {
    const r = await importFile(nats.nc, db, { file: join(FIXTURES, "orcl-1995-2014.txt"), symbol: "ORCL" });
    expect(r.errors).toEqual([]);
    const p = () => loadPipeline(join(import.meta.dirname, "../../pipelines/momentum-bars.yaml"));
    const a = await replay({ pipeline: await p(), db, runId: "bars-a" });
    const b = await replay({ pipeline: await p(), db, runId: "bars-b", batchSize: 3 });
    expect(a.counters.inputs).toBe(r.parsed + (await db.query<{ n: bigint }>("SELECT count(*) n FROM bars WHERE symbol = 'SX5E'")).map((x) => Number(x.n))[0]!);
    expect(a.digest).toBe(b.digest);
    expect(a.counters.outputs.joined).toBe(a.counters.inputs);
  });
});
