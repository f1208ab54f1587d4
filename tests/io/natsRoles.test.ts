// The NATS roles against a real nats-server configured as `tickflow up` configures it: anonymous clients refused,
// and each role able to do its job and nothing else. Every refusal is checked on the server's state too (the stream
// is still there, nothing was stored), not only by the client's error.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { LiveRun } from "../../app/liveRun.ts";
import { loadPipeline } from "../../app/loadPipeline.ts";
import { Database } from "../../io/duckdb/database.ts";
import { ensureStreams } from "../../io/nats/streams.ts";
import { connectNats } from "../../app/environment.ts";
import type { Config } from "../../io/config.ts";
import { SecretStore, secretsFile } from "../../io/secrets.ts";
import { MODEL_BUCKET } from "../../io/nats/auth.ts";
import { ensureJobsBucket, KvOccurrenceLock } from "../../app/jobLock.ts";
import { Kvm } from "@nats-io/kv";
import { TradeMessage } from "../../schemas/index.ts";
import { startSecuredNats, type SecuredNats } from "../helpers/securedNats.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { until } from "../connectors/harness.ts";

const T0 = 1_704_205_800_000_000_000n;

/** Resolves with the error `p` rejects with (a permission violation), failing if it succeeds. */
async function refused(p: Promise<unknown>): Promise<Error> {
  const r = await p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (r === undefined) throw new Error("expected the server to refuse this, but it succeeded");
  return r;
}

/** The permission violations the server reports to `nc` (they arrive asynchronously, as status errors). */
function violations(nc: NatsConnection): string[] {
  const seen: string[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === "error") seen.push(String((s as { error?: Error }).error?.message ?? ""));
  })();
  return seen;
}

const stored = async (admin: NatsConnection, stream: string): Promise<number> => (await (await jetstreamManager(admin)).streams.info(stream)).state.messages;

describe("NATS roles (real nats-server with the users tickflow up configures)", () => {
  let nats: SecuredNats;
  let admin: NatsConnection;

  beforeAll(async () => {
    nats = await startSecuredNats();
    admin = await nats.connectAs("admin");
    await ensureStreams(admin);
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it("refuses a client without credentials, and one with a wrong password", async () => {
    expect((await refused(connect({ servers: nats.url, reconnect: false }))).message).toMatch(/authorization/i);
    expect((await refused(connect({ servers: nats.url, user: "pipeline", pass: "guess", reconnect: false }))).message).toMatch(/authorization/i);
    expect((await refused(connect({ servers: nats.url, user: "admin", pass: nats.passwords.feed, reconnect: false }))).message).toMatch(/authorization/i);
  });

  it("a command whose role's password is stored without admin's connects and creates nothing (a server managed elsewhere)", async () => {
    const { dir, cleanup } = tempDir();
    try {
      SecretStore.open({ file: secretsFile(dir), env: {}, create: true }).set("nats/feed", nats.passwords.feed);
      const cfg: Config = { natsUrl: nats.url, dbPath: join(dir, "x.duckdb"), dataDir: dir, natsUrlFromEnv: true };
      const env = { ...process.env };
      delete process.env.TICKFLOW_SECRETS_KEY;
      delete process.env.TICKFLOW_SECRETS_KEY_FILE;
      try {
        const nc = await connectNats(cfg, "feed");
        await jetstream(nc).publish("md.trades.AAPL", "{}", { msgID: "stored-feed-1" });
        await nc.close();
        await expect(connectNats(cfg, "pipeline")).rejects.toThrow(/as pipeline: Authorization Violation; the server requires credentials/);
      } finally {
        process.env = env;
      }
    } finally {
      cleanup();
    }
  });

  it("feed publishes market data and news, but no signal or order, and cannot delete or purge a stream", async () => {
    const feed = await nats.connectAs("feed");
    const seen = violations(feed);
    const js = jetstream(feed);
    const before = await stored(admin, "MARKET");
    await js.publish("md.trades.AAPL", TradeMessage.encodeBytes(TradeMessage.create({ id: "f-1", symbol: "AAPL", tsEvent: T0, price: 1, size: 1 })), {
      msgID: "f-1",
    });
    expect(await stored(admin, "MARKET")).toBe(before + 1);
    const signals = await stored(admin, "SIGNALS");
    const orders = await stored(admin, "ORDERS");
    await refused(js.publish("signals.AAPL", "{}", { msgID: "forged-signal", timeout: 2000 }));
    await refused(js.publish("orders.AAPL", "{}", { msgID: "forged-order", timeout: 2000 }));
    const jsm = await jetstreamManager(feed, { checkAPI: false });
    await refused(jsm.streams.delete("MARKET"));
    await refused(jsm.streams.purge("MARKET"));
    expect([await stored(admin, "SIGNALS"), await stored(admin, "ORDERS"), await stored(admin, "MARKET")]).toEqual([signals, orders, before + 1]);
    await until("the server reported the violations", () => seen.some((m) => /permissions violation/i.test(m)), 5000);
  });

  it("reader receives signals but can publish nothing", async () => {
    const reader = await nats.connectAs("reader");
    const seen = violations(reader);
    const got: string[] = [];
    const sub = reader.subscribe("signals.>");
    void (async () => {
      for await (const m of sub) got.push(m.subject);
    })();
    await reader.flush();
    await jetstream(admin).publish("signals.MSFT", "{}", { msgID: "admin-signal" });
    await until("the reader got the signal", () => got.includes("signals.MSFT"), 5000);
    const market = await stored(admin, "MARKET");
    const signals = await stored(admin, "SIGNALS");
    for (const subject of ["md.trades.AAPL", "signals.AAPL", "orders.AAPL", "$JS.API.STREAM.DELETE.SIGNALS", "$JS.API.STREAM.PURGE.SIGNALS"])
      reader.publish(subject, "{}");
    await reader.flush();
    await until("five publish violations", () => seen.filter((m) => /permissions violation for publish/i.test(m)).length >= 5, 5000);
    expect(reader.isClosed()).toBe(false);
    expect([await stored(admin, "MARKET"), await stored(admin, "SIGNALS")]).toEqual([market, signals]);
    // Nor subscribe beyond its subjects: market data and the JetStream API stay unreadable.
    reader.subscribe("md.>");
    reader.subscribe("$JS.API.>");
    await reader.flush();
    await until("two subscribe violations", () => seen.filter((m) => /permissions violation for subscription/i.test(m)).length >= 2, 5000);
  });

  it("pipeline reads and watches the model bucket but cannot write a deployment", async () => {
    const adminKv = await new Kvm(admin).create(MODEL_BUCKET, { history: 10 });
    await adminKv.put("roles-pipeline", JSON.stringify({ v: 1 }));
    const pipelineNc = await nats.connectAs("pipeline");
    const kv = await new Kvm(pipelineNc).create(MODEL_BUCKET, { history: 10 });
    expect((await kv.get("roles-pipeline"))?.json()).toEqual({ v: 1 });
    const seen: unknown[] = [];
    const watch = await kv.watch({ key: "roles-pipeline" });
    void (async () => {
      for await (const e of watch) seen.push(e.json());
    })();
    await adminKv.put("roles-pipeline", JSON.stringify({ v: 2 }));
    await until("the pipeline saw the new deployment", () => seen.some((v) => (v as { v: number }).v === 2), 5000);
    await refused(kv.put("roles-pipeline", JSON.stringify({ v: 666 })));
    expect((await adminKv.get("roles-pipeline"))?.json()).toEqual({ v: 2 });
    watch.stop();
  });

  it("pipeline takes and reads cluster job occurrences in the jobs bucket that admin created", async () => {
    await ensureJobsBucket(admin);
    const pipelineNc = await nats.connectAs("pipeline");
    const a = await KvOccurrenceLock.open(pipelineNc, "pipeline-a");
    const b = await KvOccurrenceLock.open(pipelineNc, "pipeline-b");
    expect(await a.acquire("report", 1_736_132_400_000)).toEqual({ acquired: true });
    expect(await b.acquire("report", 1_736_132_400_000)).toEqual({ acquired: false, holder: "pipeline-a" });
    expect(await b.taken("report", 1_736_132_400_000)).toBe(true);
  });

  it("pipeline runs a live pipeline (consumers, signals, dead letters) but cannot purge, delete or purge the account", async () => {
    const pipelineNc = await nats.connectAs("pipeline");
    const { dir, cleanup } = tempDir();
    const db = await Database.open(join(dir, "rec.duckdb"));
    const run = new LiveRun({
      pipeline: await loadPipeline(join(import.meta.dirname, "../../pipelines/momentum-sentiment.yaml")),
      nc: pipelineNc,
      db,
      runId: "roles-1",
      print: () => {},
    });
    const signalsBefore = await stored(admin, "SIGNALS");
    try {
      await run.start();
      const feed = jetstream(await nats.connectAs("feed"));
      for (let i = 0; i < 400; i++) {
        const t = TradeMessage.create({ id: `p-${i}`, symbol: "AAPL", tsEvent: T0 + BigInt(i) * 15_000_000_000n, price: 100 + (i % 13) + i / 50, size: 10 });
        await feed.publish("md.trades.AAPL", TradeMessage.encodeBytes(t), { msgID: t.id });
      }
      await feed.publish("md.trades.AAPL", "{not json", { msgID: "p-bad" });
      await run.waitFor(() => run.run.counters.inputs >= 400, 30_000);
      await until("the bad trade dead-lettered on dlq.>", async () => (await stored(admin, "DLQ")) >= 1, 30_000);
      await until("signals published by the pipeline user", async () => (await stored(admin, "SIGNALS")) > signalsBefore, 30_000);
      const jsm = await jetstreamManager(pipelineNc, { checkAPI: false });
      const market = await stored(admin, "MARKET");
      await refused(jsm.streams.purge("MARKET"));
      await refused(jsm.streams.delete("SIGNALS"));
      await refused(pipelineNc.request("$JS.API.ACCOUNT.PURGE.$G", "", { timeout: 2000 }));
      await refused(pipelineNc.request("$JS.API.STREAM.RESTORE.SIGNALS", "{}", { timeout: 2000 }));
      expect(await stored(admin, "MARKET")).toBe(market);
      expect((await (await jetstreamManager(admin)).streams.names().next()).length).toBeGreaterThanOrEqual(5);
    } finally {
      await run.stop().catch(() => undefined);
      await db.close();
      cleanup();
    }
  });
});
