// Bad input never crashes a pipeline and is never lost silently: it goes to dlq.<stage> with the reason
// in a header, is recorded in dead_letters, is counted, and the pipeline goes on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { LiveRun } from "../../app/liveRun.ts";
import { loadPipeline, parsePipeline } from "../../app/loadPipeline.ts";
import { Database } from "../../io/duckdb/database.ts";
import { TradeMessage, BarMessage } from "../../schemas/index.ts";
import { barId } from "../../schemas/bar.ts";
import { publishSubject } from "../../schemas/kinds.ts";
import { JetStreamInput, MAX_DELIVERIES } from "../../sources/jetstreamInput.ts";
import { durableName } from "../../sources/jetstreamSource.ts";
import { startNats, stopNats, type NatsFixture } from "../helpers/nats.ts";
import { tempDir } from "../helpers/duckdb.ts";
import { BatchReader } from "../connectors/harness.ts";

const T0 = 1_704_205_800_000_000_000n;
const trade = (i: number) =>
  TradeMessage.encode({ id: `good-${i}`, symbol: "AAPL", tsEvent: T0 + BigInt(i) * 10_000_000_000n, price: 100 + (i % 7), size: 10 });

describe("bad input goes to the dead-letter stream (real nats-server, real DuckDB)", () => {
  let nats: NatsFixture;
  let db: Database;
  let cleanup: () => void;
  const dlq: { subject: string; reason: string; body: Record<string, unknown> }[] = [];
  let run: LiveRun;

  beforeAll(async () => {
    nats = await startNats();
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    db = await Database.open(join(tmp.dir, "rec.duckdb"));
    const sub = nats.nc.subscribe("dlq.>");
    void (async () => {
      for await (const m of sub) dlq.push({ subject: m.subject, reason: m.headers?.get("Tickflow-Reason") ?? "", body: m.json() });
    })();
    run = new LiveRun({
      pipeline: await loadPipeline(join(import.meta.dirname, "../../pipelines/momentum-sentiment.yaml")),
      nc: nats.nc,
      db,
      runId: "bad-1",
      print: () => {},
    });
    await run.start();
  });

  afterAll(async () => {
    await run?.stop().catch(() => undefined);
    await db?.close();
    await stopNats(nats);
    cleanup?.();
  });

  it("rejects each bad message with a reason naming message and field, and keeps processing good ones", async () => {
    const js = jetstream(nats.nc);
    const pub = (subject: string, body: string, id: string) => js.publish(subject, body, { msgID: id });
    await pub("md.trades.AAPL", JSON.stringify(trade(0)), "g0");
    await pub("md.trades.AAPL", "{not json", "bad-json");
    await pub("md.trades.AAPL", JSON.stringify({ ...trade(1), price: -5 }), "bad-price");
    await pub("md.trades.AAPL", JSON.stringify(trade(2)).replace(/"price":[0-9.]+/, '"price":1e999'), "bad-inf"); // parses to Infinity
    await pub("md.trades.AAPL", JSON.stringify({ ...trade(3), size: undefined }), "bad-size");
    await pub("md.trades.AAPL", JSON.stringify({ ...trade(4), v: 9 }), "bad-version");
    await pub("news.wire", JSON.stringify({ v: 1, type: "news", id: "n1", source: "wire", tsEvent: "x", headline: "h", symbols: [] }), "bad-news-ts");
    for (let i = 5; i < 40; i++) await pub("md.trades.AAPL", JSON.stringify(trade(i)), `g${i}`);
    await run.waitFor(() => run.run.counters.inputs >= 36 && run.run.counters.deadLetters >= 6, 30_000);
    for (let i = 0; i < 100 && dlq.length < 6; i++) await new Promise((r) => setTimeout(r, 50));

    expect(run.failed).toBeUndefined();
    expect(run.run.counters.inputs).toBe(36);
    expect(run.run.counters.deadLetters).toBe(6);
    const reasons = dlq.map((d) => d.reason).sort();
    expect(dlq.every((d) => d.subject === "dlq.decode")).toBe(true);
    expect(reasons).toHaveLength(6);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^trade message md\.trades\.AAPL #\d+: is not valid JSON/),
        expect.stringMatching(/^trade message md\.trades\.AAPL #\d+: field "price" must be a positive finite number, got -5/),
        expect.stringMatching(/^trade message md\.trades\.AAPL #\d+: field "price" must be a finite number, got Infinity/),
        expect.stringMatching(/^trade message md\.trades\.AAPL #\d+: field "size" .*got nothing \(field missing\)/),
        expect.stringMatching(/^trade message md\.trades\.AAPL #\d+: field "v" must be 1 \(this reader understands trade wire version 1\), got 9/),
        expect.stringMatching(/^news message news\.wire #\d+: field "tsEvent" must be integer nanoseconds/),
      ]),
    );
    expect(dlq.find((d) => d.reason.includes('"price" must be a positive'))!.body.payload).toContain('"price":-5');
    const rows = await db.query<{ stage: string; field: string | null; n: bigint }>(
      "SELECT stage, field, count(*) n FROM dead_letters WHERE run_id = 'bad-1' GROUP BY ALL ORDER BY field",
    );
    expect(rows.reduce((a, r) => a + Number(r.n), 0)).toBe(6);
    expect(rows.map((r) => r.field)).toEqual(expect.arrayContaining(["price", "size", "v", "tsEvent"]));
  });

  it("dead-letters poison that used to end the run at every restart: an event time beyond int64, a near-max_payload message", async () => {
    const js = jetstream(nats.nc);
    const before = { inputs: run.run.counters.inputs, dead: run.run.counters.deadLetters, published: dlq.length };
    await js.publish("md.trades.AAPL", JSON.stringify({ ...trade(50), tsEvent: "9999999999999999999" }), { msgID: "poison-ts" });
    // Just under the server's 1 MiB max_payload, with a bad field: its dead letter (payload + envelope) would not fit.
    const body = JSON.stringify({
      v: 1,
      type: "news",
      id: "huge",
      source: "wire",
      tsEvent: String(T0),
      headline: "h",
      body: "é".repeat(500_000),
      symbols: ["aapl"],
    });
    await js.publish("news.wire", body, { msgID: "poison-size" });
    await js.publish("md.trades.AAPL", JSON.stringify(trade(60)), { msgID: "g60" });
    await run.waitFor(() => run.run.counters.inputs >= before.inputs + 1 && run.run.counters.deadLetters >= before.dead + 2, 30_000);
    for (let i = 0; i < 100 && dlq.length < before.published + 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(run.failed).toBeUndefined();
    const [ts, size] = [dlq.find((d) => d.reason.includes("int64")), dlq.find((d) => String(d.body.payload).includes('"id":"huge"'))];
    expect(ts?.reason).toMatch(/field "tsEvent" must be integer nanoseconds within the int64 range/);
    expect(size?.reason).toMatch(/^news message news\.wire #\d+: field "body" /);
    const payload = String(size!.body.payload);
    expect(new TextEncoder().encode(payload).length).toBeLessThanOrEqual(64 * 1024);
    expect(payload).toMatch(new RegExp(`…\\[truncated: ${new TextEncoder().encode(body).length} bytes, sha256 [0-9a-f]{64}\\]$`));
    const recorded = await db.query<{ n: bigint }>(
      "SELECT count(*) n FROM dead_letters WHERE run_id = 'bad-1' AND length(payload) <= 65536 AND payload LIKE '%truncated%'",
    );
    expect(recorded[0]!.n).toBe(1n);
  });

  it("dead-letters a trade whose symbol differs from its subject, and keeps a dotted symbol in one subject token", async () => {
    const js = jetstream(nats.nc);
    const before = { inputs: run.run.counters.inputs, published: dlq.length };
    await js.publish("md.trades.AAPL", JSON.stringify({ ...trade(70), symbol: "MSFT" }), { msgID: "wrong-subject" });
    const brk = TradeMessage.create({ id: "brk-1", symbol: "BRK.B", tsEvent: T0 + 71n * 10_000_000_000n, price: 410, size: 3 });
    expect(publishSubject("trade", brk)).toBe("md.trades.BRK%2EB");
    await js.publish(publishSubject("trade", brk), TradeMessage.encodeBytes(brk), { msgID: brk.id });
    await run.waitFor(() => run.run.counters.inputs >= before.inputs + 1, 30_000);
    for (let i = 0; i < 100 && dlq.length < before.published + 1; i++) await new Promise((r) => setTimeout(r, 50));
    const letter = dlq.slice(before.published).find((d) => d.reason.includes("but the subject"));
    expect(letter?.reason).toMatch(/^trade message md\.trades\.AAPL #\d+: field "symbol" is MSFT but the subject md\.trades\.AAPL says AAPL$/);
    const recorded = await db.query<{ subject: string }>("SELECT subject FROM trades WHERE id = 'brk-1'");
    expect(recorded).toEqual([{ subject: "md.trades.BRK%2EB" }]);
  });

  it("dead-letters an input dated far beyond the present (year 2200): it does not move the watermark, later inputs are not late", async () => {
    const js = jetstream(nats.nc);
    const before = { inputs: run.run.counters.inputs, dead: run.run.counters.deadLetters, late: run.run.counters.late, published: dlq.length };
    const y2200 = 7_258_118_400_000_000_000n;
    await js.publish("md.trades.AAPL", JSON.stringify({ ...trade(80), tsEvent: String(y2200) }), { msgID: "ahead-2200" });
    for (let i = 81; i < 84; i++) await js.publish("md.trades.AAPL", JSON.stringify(trade(i)), { msgID: `g${i}` });
    await run.waitFor(() => run.run.counters.inputs >= before.inputs + 3 && run.run.counters.deadLetters >= before.dead + 1, 30_000);
    for (let i = 0; i < 100 && dlq.length < before.published + 1; i++) await new Promise((r) => setTimeout(r, 50));
    expect(run.failed).toBeUndefined();
    expect(run.run.counters.late).toBe(before.late);
    expect(run.run.counters.deadLetters).toBe(before.dead + 1);
    const letter = dlq.slice(before.published).find((d) => d.subject === "dlq.ahead");
    expect(letter?.reason).toMatch(
      /^event time 2200-01-01T00:00:00\.000000000Z \(7258118400000000000 ns\) is more than 2d ahead of \d{4}-\d\d-\d\dT[^ ]+Z \(\d+ ns\) \(the latest of the wall clock, the watermark and the newest input accepted; sequencing\.maxAhead\)/,
    );
    expect(letter?.body).toMatchObject({ stage: "ahead", field: "tsEvent" });
    expect(run.input.name).toBe("jetstream");
    expect((run.input as JetStreamInput).watermark).toBeLessThan(y2200);
    const recorded = await db.query<{ id: string }>("SELECT id FROM trades WHERE id IN ('good-80', 'good-81', 'good-83') ORDER BY id");
    expect(recorded.map((r) => r.id)).toEqual(["good-81", "good-83"]);
  });

  it(`terminates and dead-letters a message delivered more than ${MAX_DELIVERIES} times before this run first got it`, async () => {
    // What the server's delivery count can tell in this design: another client on the run's durable consumer
    // took the message (here: five pulls that each nak it) and never committed it. A restart would not get here:
    // it recreates the consumer, which starts the count again.
    const subject = "md.bars.1d.REDL";
    const pipeline = parsePipeline(`name: redelivered\nsources:\n  bars: { type: bar, subjects: ["${subject}"] }\nnodes: {}\n`, "redelivered.yaml");
    const durable = durableName("redl", "bars", "0");
    const jsm = await jetstreamManager(nats.nc);
    // Made as the input makes it, so that the input reuses it.
    await jsm.consumers.add("MARKET", {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: subject,
      max_ack_pending: 50_000,
      ack_wait: 60_000_000_000,
      deliver_policy: DeliverPolicy.All,
    });
    const other = await jetstream(nats.nc).consumers.get("MARKET", durable);
    // Waiting pulls are served in order: these five come before the input's.
    const counts = Array.from({ length: MAX_DELIVERIES }, () =>
      other.next({ expires: 20_000 }).then((m) => {
        m?.nak();
        return m?.info.deliveryCount;
      }),
    );
    await nats.nc.flush();
    const input = new JetStreamInput({ nc: nats.nc, pipeline, consumerPrefix: "redl" });
    const reader = await new BatchReader(input, "redelivered input").open();
    try {
      const bar = (day: number) =>
        BarMessage.create({
          symbol: "REDL",
          timeframe: "1d",
          tsOpen: T0 + BigInt(day) * 86_400_000_000_000n,
          tsEvent: T0 + BigInt(day + 1) * 86_400_000_000_000n,
          open: 10,
          high: 11,
          low: 9,
          close: 10,
          volume: 5,
          vwap: 10,
          trades: 0,
        });
      await jetstream(nats.nc).publish(subject, BarMessage.encodeBytes(bar(0)), { msgID: barId(bar(0)) });
      expect(await Promise.all(counts)).toEqual([1, 2, 3, 4, 5]);
      await jetstream(nats.nc).publish(subject, BarMessage.encodeBytes(bar(1)), { msgID: barId(bar(1)) });
      const dead: unknown[] = [];
      const items: unknown[] = [];
      while (dead.length < 1 || items.length < 1) {
        const b = (await reader.next(10_000))!;
        dead.push(...(b.deadLetters ?? []));
        items.push(...b.items);
        await b.commit?.();
      }
      const second = await jsm.streams.getMessage("MARKET", { last_by_subj: subject });
      expect(dead).toEqual([
        expect.objectContaining({
          stage: "redelivered",
          ref: `${subject} #${second!.seq - 1}`,
          reason: `delivered ${MAX_DELIVERIES + 1} times without being committed (more than ${MAX_DELIVERIES}): terminated; find out what took the earlier deliveries (another process on consumer ${durable}?)`,
        }),
      ]);
      expect(items).toEqual([bar(1)]);
      // Terminated and acked: the server offers neither again.
      const info = await jsm.consumers.info("MARKET", durable);
      expect([info.num_ack_pending, info.num_pending]).toEqual([0, 0]);
    } finally {
      await reader.finish();
    }
  });

  it("rejects a bar with an unknown timeframe", () => {
    const bar = {
      v: 1,
      type: "bar",
      symbol: "AAPL",
      timeframe: "7x",
      tsOpen: "0",
      tsEvent: "60000000000",
      open: 1,
      high: 1,
      low: 1,
      close: 1,
      volume: 1,
      vwap: 1,
      trades: 1,
    };
    expect(() => BarMessage.decode(bar, "md.bars.7x.AAPL #1")).toThrow(
      'bar message md.bars.7x.AAPL #1: field "timeframe" must be a timeframe like 15s, 1m, 1h or 1d, got "7x"',
    );
  });
});
