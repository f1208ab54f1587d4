import { describe, expect, it } from "vitest";
import { DuckDbRecorder, RecordingLayoutError } from "../../sinks/duckDbRecorder.ts";
import { createTableSql, outputLayout } from "../../sinks/recordingTables.ts";
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
