import { describe, expect, it } from "vitest";
import { DuckDbRecorder, RecordingLayoutError, spansOf } from "../../sinks/duckDbRecorder.ts";
import { createTableSql, inputLayout, outputLayout } from "../../sinks/recordingTables.ts";
import { BarMessage, type Bar } from "../../schemas/bar.ts";
import { TradeMessage, SignalMessage, type Trade } from "../../schemas/index.ts";
import { OrderMessage, type Order } from "../../schemas/order.ts";
import { FeatureRowMessage } from "../../schemas/features.ts";
import { withDatabase } from "../helpers/duckdb.ts";

const trades: Trade[] = Array.from({ length: 5000 }, (_, i) => ({
  id: `t${i}`,
  symbol: i % 2 ? "AAPL" : "MSFT",
  tsEvent: 1704205800123456789n + BigInt(i),
  price: 100 + i / 100,
  size: 1 + (i % 7),
}));

describe("DuckDbRecorder", () => {
  it("records inputs in columnar batches with full nanosecond timestamps, once per id", async () => {
    await withDatabase(async (db) => {
      const sink = new DuckDbRecorder(db);
      const meta = trades.map((t, i) => ({ subject: `md.trades.${t.symbol}`, streamSeq: BigInt(i + 1) }));
      const first = await sink.writeInputs(TradeMessage, trades, meta);
      const again = await sink.writeInputs(TradeMessage, trades.slice(0, 100), meta.slice(0, 100));
      expect(first).toEqual({ offered: 5000, inserted: 5000 });
      expect(again).toEqual({ offered: 100, inserted: 0 });
      const rows = await db.query<{ n: bigint; ts: string; ns: bigint; seq: bigint }>(
        "SELECT count(*) n, min(ts_event)::VARCHAR ts, epoch_ns(min(ts_event)) ns, max(stream_seq) seq FROM trades",
      );
      expect(rows[0]).toEqual({ n: 5000n, ts: "2024-01-02 14:30:00.123456789", ns: 1704205800123456789n, seq: 5000n });
      const cols = await db.query<{ column_name: string; data_type: string }>(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'trades' ORDER BY ordinal_position",
      );
      expect(cols.map((c) => `${c.column_name}:${c.data_type}`)).toEqual([
        "id:VARCHAR",
        "symbol:VARCHAR",
        "ts_event:TIMESTAMP_NS",
        "price:DOUBLE",
        "size:DOUBLE",
        "side:VARCHAR",
        "subject:VARCHAR",
        "stream_seq:BIGINT",
      ]);
    });
  });

  it("keeps outputs of different runs apart", async () => {
    await withDatabase(async (db) => {
      const sink = new DuckDbRecorder(db);
      const s = SignalMessage.create({
        id: "p:AAPL:1",
        pipeline: "p",
        symbol: "AAPL",
        tsEvent: 1n,
        action: "buy",
        strength: 0.5,
        reason: "x",
        inputs: { rsi: 40 },
      });
      await sink.writeOutputs(SignalMessage, "run-a", [s], 0n);
      await sink.writeOutputs(SignalMessage, "run-b", [s], 0n);
      await sink.writeOutputs(SignalMessage, "run-b", [s], 0n);
      const rows = await db.query<{ run_id: string; n: bigint }>("SELECT run_id, count(*) n FROM signals GROUP BY run_id ORDER BY run_id");
      expect(rows).toEqual([
        { run_id: "run-a", n: 1n },
        { run_id: "run-b", n: 1n },
      ]);
    });
  });

  it("renames a column renamed since the file was written (orders.type -> order_type) and keeps its rows", async () => {
    await withDatabase(async (db) => {
      const now = outputLayout(OrderMessage);
      const v1 = { ...now, columns: now.columns.map((c) => (c.name === "order_type" ? { ...c, name: "type" } : c)) };
      await db.run(createTableSql(v1));
      const cols = v1.columns.map((c) =>
        c.type === "TIMESTAMP_NS" ? "make_timestamp_ns(1)" : c.name === "type" ? "'limit'" : c.type === "VARCHAR" ? "'x'" : "1",
      );
      await db.run(`INSERT INTO orders VALUES (${cols.join(", ")})`);
      const order: Order = OrderMessage.create({
        id: "s:AAPL:2:1",
        clientOrderId: "c",
        strategy: "s",
        symbol: "AAPL",
        side: "buy",
        orderType: "market",
        qty: 1,
        tif: "day",
        status: "filled",
        filledQty: 1,
        avgFillPrice: 100,
        revision: 0,
        tsSubmitted: 2n,
        tsEvent: 2n,
      });
      await new DuckDbRecorder(db).writeOutputs(OrderMessage, "run-new", [order], 0n);
      const rows = await db.query<{ run_id: string; order_type: string }>("SELECT run_id, order_type FROM orders ORDER BY run_id");
      expect(rows).toEqual([
        { run_id: "run-new", order_type: "market" },
        { run_id: "x", order_type: "limit" },
      ]);
    });
  });

  it("refuses a table laid out by another version with a coded error naming both layouts", async () => {
    await withDatabase(async (db) => {
      await db.run("CREATE TABLE signals (run_id VARCHAR, something_else VARCHAR)");
      const s = SignalMessage.create({ id: "p:AAPL:1", pipeline: "p", symbol: "AAPL", tsEvent: 1n, action: "buy", strength: 0.5, reason: "x", inputs: {} });
      const err = await new DuckDbRecorder(db).writeOutputs(SignalMessage, "r", [s], 0n).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RecordingLayoutError);
      expect((err as RecordingLayoutError).code).toBe("RECORDING_LAYOUT_MISMATCH");
      expect((err as Error).message).toMatch(/table signals has columns \(run_id, something_else\) but this version records \(run_id, node, out_seq, id,/);
    });
  });

  it("adds an optional field added at the end of a message type since the file was written (features.model) as a NULL column", async () => {
    await withDatabase(async (db) => {
      const now = outputLayout(FeatureRowMessage);
      expect(now.columns.at(-1)).toMatchObject({ name: "model", nullable: true });
      await db.run(createTableSql({ ...now, columns: now.columns.slice(0, -1) }));
      await db.run("INSERT INTO features VALUES ('old', 'n', 0, 'X:1', 'X', make_timestamp_ns(1), NULL, '{}')");
      const row = FeatureRowMessage.create({ id: "X:2", symbol: "X", tsEvent: 2n, values: { p_up: 0.5 }, model: "m-1" });
      await new DuckDbRecorder(db).writeOutputs(FeatureRowMessage, "new", [row], 0n);
      expect(await db.query("SELECT run_id, model FROM features ORDER BY run_id")).toEqual([
        { run_id: "new", model: "m-1" },
        { run_id: "old", model: null },
      ]);
    });
  });
});

describe("input dedupe without an index", () => {
  const meta = (ts: readonly Trade[]) => ts.map((t, i) => ({ subject: `md.trades.${t.symbol}`, streamSeq: BigInt(i + 1) }));

  it("creates input tables without a PRIMARY KEY and still stores each id once: in a batch, across batches, after a stray old trade", async () => {
    await withDatabase(async (db) => {
      const sink = new DuckDbRecorder(db);
      await sink.ensureRecording([TradeMessage]);
      const pk = await db.query<{ n: bigint }>("SELECT count(*) n FROM duckdb_constraints() WHERE table_name = 'trades' AND constraint_type = 'PRIMARY KEY'");
      expect(pk[0]!.n).toBe(0n);
      const batch = [...trades.slice(0, 3000), trades[10]!, trades[2999]!];
      expect(await sink.writeInputs(TradeMessage, batch, meta(batch))).toEqual({ offered: 3002, inserted: 3000 });
      // The next batch repeats the previous one's tail and carries one trade from long before (a redelivery after a
      // restart, a late print): the stray time makes its own span, and every repeat is found.
      const stray: Trade = { ...trades[0]!, id: "stray", tsEvent: 1n };
      const next = [...trades.slice(2500, 5000), stray, trades[5]!];
      expect(await sink.writeInputs(TradeMessage, next, meta(next))).toEqual({ offered: 2502, inserted: 2001 });
      expect(await sink.writeInputs(TradeMessage, next, meta(next))).toEqual({ offered: 2502, inserted: 0 });
      const [r] = await db.query<{ n: bigint; ids: bigint }>("SELECT count(*) n, count(DISTINCT id) ids FROM trades");
      expect(r).toEqual({ n: 5001n, ids: 5001n });
    });
  });

  it("takes a message as its id within its time: the same id at another event time is another message, in a batch or across batches", async () => {
    await withDatabase(async (db) => {
      const sink = new DuckDbRecorder(db);
      const a: Trade = { id: "x", symbol: "AAPL", tsEvent: 1000n, price: 1, size: 1 };
      const later: Trade = { ...a, tsEvent: 2000n, price: 2 };
      expect(await sink.writeInputs(TradeMessage, [a, a], meta([a, a]))).toEqual({ offered: 2, inserted: 1 });
      expect(await sink.writeInputs(TradeMessage, [later, a], meta([later, a]))).toEqual({ offered: 2, inserted: 1 });
      expect(
        await sink.writeInputs(
          TradeMessage,
          [
            { ...a, tsEvent: 3000n },
            { ...a, tsEvent: 4000n },
          ],
          meta([a, a]),
        ),
      ).toEqual({ offered: 2, inserted: 2 });
      expect((await db.query<{ n: bigint }>("SELECT count(*) n FROM trades WHERE id = 'x'"))[0]!.n).toBe(4n);
    });
  });

  it("keys bars by symbol, timeframe and open time, exact to the nanosecond", async () => {
    await withDatabase(async (db) => {
      const bar = (symbol: string, tsOpen: bigint): Bar => ({
        symbol,
        timeframe: "1m",
        tsOpen,
        tsEvent: tsOpen + 60_000_000_000n,
        open: 1,
        high: 2,
        low: 1,
        close: 2,
        volume: 10,
        vwap: 1.5,
        trades: 3,
      });
      const sink = new DuckDbRecorder(db);
      const bars = [bar("A", 1704205800000000001n), bar("B", 1704205800000000001n), bar("A", 1704205800000000002n)];
      const m = bars.map((_, i) => ({ subject: "md.bars.1m.X", streamSeq: BigInt(i + 1) }));
      expect(await sink.writeInputs(BarMessage, bars, m)).toEqual({ offered: 3, inserted: 3 });
      expect(await sink.writeInputs(BarMessage, [bars[1]!, bar("B", 1704205800000000002n)], m.slice(0, 2))).toEqual({ offered: 2, inserted: 1 });
    });
  });

  it("rolls back with the transaction it was written in", async () => {
    await withDatabase(async (db) => {
      const sink = new DuckDbRecorder(db);
      await sink.ensureRecording([TradeMessage]);
      await db.run("BEGIN TRANSACTION");
      await sink.writeInputs(TradeMessage, trades.slice(0, 100), meta(trades.slice(0, 100)));
      await db.run("ROLLBACK");
      expect((await db.query<{ n: bigint }>("SELECT count(*) n FROM trades"))[0]!.n).toBe(0n);
      expect(await sink.writeInputs(TradeMessage, trades.slice(0, 100), meta(trades.slice(0, 100)))).toEqual({ offered: 100, inserted: 100 });
    });
  });

  it("keeps INSERT OR IGNORE on a file recorded with the earlier keyed layout", async () => {
    await withDatabase(async (db) => {
      const { dedupe: _, ...keyed } = inputLayout(TradeMessage);
      await db.run(createTableSql(keyed));
      const sink = new DuckDbRecorder(db);
      expect(await sink.writeInputs(TradeMessage, trades.slice(0, 50), meta(trades.slice(0, 50)))).toEqual({ offered: 50, inserted: 50 });
      const again = [...trades.slice(40, 60), { ...trades[0]!, tsEvent: 5n }];
      expect(await sink.writeInputs(TradeMessage, again, meta(again))).toEqual({ offered: 21, inserted: 10 });
    });
  });

  it("spansOf covers every time in at most 8 spans, cut at the widest gaps", () => {
    expect(spansOf([])).toEqual([]);
    expect(spansOf([5n, 5n, 3n])).toEqual([
      [3n, 3n],
      [5n, 5n],
    ]);
    const times = [...Array.from({ length: 1000 }, (_, i) => 1_000_000n + BigInt(i)), 7n, 10n ** 15n, 3n];
    const spans = spansOf(times);
    // A stray time far from the rest gets its own span; gaps small beside the whole spread are not cut.
    expect(spans).toEqual([
      [3n, 1_000_999n],
      [10n ** 15n, 10n ** 15n],
    ]);
    // Twelve clusters far apart: eight spans at most, and every time inside one.
    const many = Array.from({ length: 120 }, (_, i) => BigInt(Math.floor(i / 10)) * 10n ** 12n + BigInt(i % 10));
    const s8 = spansOf(many);
    expect(s8.length).toBe(8);
    for (const t of many) expect(s8.some(([lo, hi]) => t >= lo && t <= hi)).toBe(true);
  });
});
