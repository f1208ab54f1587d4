// Replay reads each source window by window of event time and matches subjects without a regular expression where
// it can: neither may change what is read or its order.
import fc from "fast-check";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { withDatabase } from "../helpers/duckdb.ts";
import { DuckDbRecorder } from "../../sinks/duckDbRecorder.ts";
import { readRecording, subjectRegex, subjectSql } from "../../replay/replayReader.ts";
import { NewsMessage, TradeMessage, type News, type Trade } from "../../schemas/index.ts";
import { jetstreamSource } from "../helpers/sources.ts";

const src = jetstreamSource;

describe("replay reading", () => {
  it("subjectSql selects exactly the subjects the filter's regular expression does", async () => {
    await withDatabase(async (db) => {
      const token = fc.constantFrom("md", "trades", "news", "A", "AAPL", "x'y", "ü", "😀", "1m", "");
      const subject = fc.array(token, { minLength: 1, maxLength: 5 }).map((ts) => ts.join("."));
      const filter = fc
        .array(
          fc.oneof(
            token.filter((t) => t !== ""),
            fc.constant("*"),
          ),
          { minLength: 1, maxLength: 4 },
        )
        .chain((ts) => fc.boolean().map((tail) => [...ts, ...(tail ? [">"] : [])].join(".")));
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(subject, { minLength: 1, maxLength: 30 }), filter, async (subjects, f) => {
          await db.run("CREATE OR REPLACE TABLE s (subject VARCHAR)");
          await db.run(`INSERT INTO s VALUES ${subjects.map((x) => `('${x.replace(/'/g, "''")}')`).join(", ")}`);
          const by = async (where: string) =>
            (await db.query<{ subject: string }>(`SELECT subject FROM s WHERE ${where} ORDER BY subject`)).map((r) => r.subject);
          expect(await by(subjectSql(f))).toEqual(await by(`regexp_matches(subject, '${subjectRegex(f).replace(/'/g, "''")}')`));
        }),
        { numRuns: 300, seed: 11 },
      );
    });
  });

  it("gives the same inputs in the same order whatever the window size, ties across window edges included", async () => {
    await withDatabase(async (db) => {
      // Timestamps with many ties (same event time on both sources and within one), sequences out of time order.
      const trades: Trade[] = Array.from({ length: 3000 }, (_, i) => ({
        id: `t${i}`,
        symbol: i % 3 ? "AAPL" : "MSFT",
        tsEvent: 1_000_000n + BigInt(Math.floor(((i * 7919) % 3000) / 4)) * 1000n,
        price: 10 + (i % 13),
        size: 1 + (i % 5),
      }));
      const news: News[] = Array.from({ length: 400 }, (_, i) => ({
        id: `n${i}`,
        source: "wire",
        tsEvent: 1_000_000n + BigInt(Math.floor(((i * 31) % 400) * 1.875)) * 1000n,
        headline: `headline ${i}`,
        symbols: ["AAPL"],
      }));
      const sink = new DuckDbRecorder(db);
      await sink.writeInputs(
        TradeMessage,
        trades,
        trades.map((t, i) => ({ subject: `md.trades.${t.symbol}`, streamSeq: BigInt(3000 - i) })),
      );
      await sink.writeInputs(
        NewsMessage,
        news,
        news.map((_, i) => ({ subject: "news.wire", streamSeq: BigInt(i + 1) })),
      );
      const sources = [src("t", "trade", 0, ["md.trades.*"]), src("n", "news", 1, ["news.>"])];
      const read = async (windowRows: number, batch: number) => {
        const out: string[] = [];
        const marks: bigint[] = [];
        for await (const b of readRecording(db, sources, {}, { batchSize: batch, windowRows })) {
          b.items.forEach((it, i) => out.push(`${b.sources[i]}:${(it as unknown as { id: string }).id}:${it.tsEvent}`));
          marks.push(b.watermark);
        }
        return { out, marks };
      };
      const whole = await read(1e9, 8192);
      expect(whole.out.length).toBe(3400);
      // Event time, then source rank, then stream sequence.
      const key = (s: string) => {
        const [rank, id, ts] = s.split(":");
        const seq = id!.startsWith("t") ? 3000 - Number(id!.slice(1)) : Number(id!.slice(1)) + 1;
        return [BigInt(ts!), Number(rank), seq] as const;
      };
      const sorted = [...whole.out].sort((a, b) => {
        const [ta, ra, sa] = key(a);
        const [tb, rb, sb] = key(b);
        return ta !== tb ? (ta < tb ? -1 : 1) : ra !== rb ? ra - rb : sa - sb;
      });
      expect(whole.out).toEqual(sorted);
      for (const [w, b] of [
        [97, 64],
        [500, 1000],
        [7, 8192],
      ] as const) {
        const windowed = await read(w, b);
        expect(windowed.out).toEqual(whole.out);
        expect(windowed.marks.every((m, i) => i === 0 || m >= windowed.marks[i - 1]!)).toBe(true);
      }
    });
  });

  it("reads a recording whose newest trade is at the largest timestamp the schema takes", async () => {
    await withDatabase(async (db) => {
      const max = 2n ** 63n - 2n;
      const trades: Trade[] = [
        { id: "a", symbol: "AAPL", tsEvent: 1_000n, price: 1, size: 1 },
        { id: "b", symbol: "AAPL", tsEvent: max, price: 2, size: 1 },
      ];
      await new DuckDbRecorder(db).writeInputs(
        TradeMessage,
        trades,
        trades.map((_, i) => ({ subject: "md.trades.AAPL", streamSeq: BigInt(i + 1) })),
      );
      const got: bigint[] = [];
      for await (const b of readRecording(db, [src("t", "trade", 0, ["md.trades.>"])], {}, { windowRows: 1 })) got.push(...b.items.map((x) => x.tsEvent));
      expect(got).toEqual([1_000n, max]);
    });
  });

  it("trade ids read long after their chunk was read are still right (the trade keeps its DuckDB chunk alive)", async () => {
    await withDatabase(async (db) => {
      const n = 30_000;
      const trades: Trade[] = Array.from({ length: n }, (_, i) => ({
        id: `trade-id-long-enough-${i}`,
        symbol: "AAPL",
        tsEvent: BigInt(1_000 + i),
        price: 1,
        size: 1,
      }));
      await new DuckDbRecorder(db).writeInputs(
        TradeMessage,
        trades,
        trades.map((_, i) => ({ subject: "md.trades.AAPL", streamSeq: BigInt(i + 1) })),
      );
      for (const columnar of [false, true]) {
        const kept: { id: string }[] = [];
        for await (const b of readRecording(db, [src("t", "trade", 0, ["md.trades.>"])], {}, { columnar }))
          kept.push(...(b.items as unknown as { id: string }[]));
        setFlagsFromString("--expose_gc");
        const gc = runInNewContext("gc") as () => void;
        for (let k = 0; k < 5; k++) {
          gc();
          void Array.from({ length: 200_000 }, (_, i) => `garbage-${i}-${k}`);
        }
        const wrong = kept.filter((t, i) => t.id !== `trade-id-long-enough-${i}`).length;
        expect(wrong).toBe(0);
      }
    });
  });

  it("replays the row a run processed when one id was recorded at two times (run_inputs keeps the time)", async () => {
    await withDatabase(async (db) => {
      const first: Trade = { id: "dup", symbol: "AAPL", tsEvent: 1_000n, price: 1, size: 1 };
      const again: Trade = { ...first, tsEvent: 5_000n, price: 9 };
      const sink = new DuckDbRecorder(db);
      await sink.writeInputs(TradeMessage, [first], [{ subject: "md.trades.AAPL", streamSeq: 1n }]);
      await sink.writeInputs(TradeMessage, [again], [{ subject: "md.trades.AAPL", streamSeq: 2n }]);
      await sink.writeRunInputs("r1", "trades", ["dup"], [5_000n]);
      const read = async (runId: string) => {
        const got: string[] = [];
        for await (const b of readRecording(db, [src("t", "trade", 0, ["md.trades.>"])], { runId }, { columnar: true }))
          got.push(...b.items.map((x) => `${(x as unknown as Trade).price}@${x.tsEvent}`));
        return got;
      };
      expect(await read("r1")).toEqual(["9@5000"]);
      // A row written before run_inputs kept the time (NULL) matches by id alone, as it did then.
      await db.run("INSERT INTO run_inputs VALUES ('old', 'trades', 'dup', NULL)");
      expect(await read("old")).toEqual(["1@1000", "9@5000"]);
    });
  });
});
