// The fast chunk filler writes what it is given: every column type, NULLs, strings at and around DuckDB's 12-byte
// inline limit, non-ASCII text, and batches spanning several chunks, read back from a real DuckDB file.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CellValue } from "../../io/duckdb/database.ts";
import type { DuckColumnType } from "../../schemas/field.ts";
import { withDatabase } from "../helpers/duckdb.ts";

const TYPES: readonly DuckColumnType[] = ["VARCHAR", "DOUBLE", "BIGINT", "INTEGER", "TIMESTAMP_NS", "BOOLEAN", "VARCHAR"];

const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 14 }),
  fc.constantFrom("", "AAPL", "123456789012", "1234567890123", "md.trades.AAPL", "é", "ééééééé", "日本語のニュース"),
);
const cell: Record<DuckColumnType, fc.Arbitrary<CellValue>> = {
  VARCHAR: text,
  DOUBLE: fc.double({ noNaN: true }),
  BIGINT: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  INTEGER: fc.integer(),
  TIMESTAMP_NS: fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }),
  BOOLEAN: fc.boolean(),
};
const row = fc.tuple(...TYPES.map((t) => fc.option(cell[t], { nil: null, freq: 5 })));

function normal(v: unknown, type: DuckColumnType): unknown {
  if (v === null) return null;
  if (type === "TIMESTAMP_NS") return (v as { nanos: bigint }).nanos ?? v;
  if (type === "DOUBLE" && Object.is(v, -0)) return 0; // DuckDB stores -0.0 as written; compare as numbers
  return v;
}

describe("forEachChunk via Database.appendColumns", () => {
  it("stores every cell as given, NULLs and strings of any length included, across chunk boundaries", async () => {
    await withDatabase(async (db) => {
      await db.run(`CREATE TABLE t (${TYPES.map((t, i) => `c${i} ${t}`).join(", ")}, k INTEGER)`);
      let batch = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 5000 }), async (rows) => {
          batch++;
          const columns: CellValue[][] = TYPES.map((_, c) => rows.map((r) => r[c]!));
          columns.push(rows.map((_, i) => i));
          await db.appendColumns("t", [...TYPES, "INTEGER"], columns);
          const back = await db.exclusive(async (c) => (await c.runAndReadAll("SELECT * FROM t ORDER BY k")).getRows());
          await db.run("DELETE FROM t");
          expect(back.length).toBe(rows.length);
          for (let i = 0; i < rows.length; i++) {
            for (let c = 0; c < TYPES.length; c++) {
              const got = normal(back[i]![c], TYPES[c]!);
              const want = normal(rows[i]![c], TYPES[c]!);
              if (got !== want && !(typeof want === "number" && Object.is(Number(got), want))) {
                throw new Error(`batch ${batch} row ${i} column ${c} (${TYPES[c]}): stored ${String(got)}, given ${String(want)}`);
              }
            }
          }
        }),
        { numRuns: 25, seed: 7 },
      );
    });
  });

  it("a 100k-row batch of short and long strings reads back whole", async () => {
    await withDatabase(async (db) => {
      await db.run("CREATE TABLE s (a VARCHAR, b VARCHAR)");
      const n = 100_000;
      const a = Array.from({ length: n }, (_, i) => `S${i % 977}`);
      const b = Array.from({ length: n }, (_, i) => `md.trades.${a[i]}.${i}`);
      await db.appendColumns("s", ["VARCHAR", "VARCHAR"], [a, b]);
      const [r] = await db.query<{ n: bigint; ok: bigint }>(
        "SELECT count(*) n, count(*) FILTER (WHERE b = 'md.trades.' || a || '.' || CAST(rowid AS VARCHAR)) ok FROM s",
      );
      expect(r).toEqual({ n: BigInt(n), ok: BigInt(n) });
    });
  });
});
