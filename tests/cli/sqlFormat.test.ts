// `tickflow sql --format table` shows every value whole (it cut them at 60 characters), one line per row.
import { describe, expect, it } from "vitest";
import { formatRows } from "../../cli/commands/sql.ts";

describe("sql --format table", () => {
  it("prints long values whole and line breaks as \\n, columns aligned", () => {
    const long = `reason: ${"x".repeat(150)}`;
    const out = formatRows(
      ["id", "reason"],
      [
        ["a", long],
        ["bb", "two\nlines"],
      ],
      "table",
    ).split("\n");
    expect(out[2]).toBe(`a  | ${long}`);
    expect(out[3]).toBe(`bb | two\\nlines${" ".repeat(long.length - "two\\nlines".length)}`);
    expect(out[1]).toBe(`${"-".repeat(2)}-+-${"-".repeat(long.length)}`);
    expect(out.at(-1)).toBe("(2 rows)");
  });
});

describe("sql --format json (Database.queryJson)", () => {
  it("keeps numbers, booleans and null typed; a BIGINT beyond 2^53 stays exact as a string", async () => {
    const { withDatabase } = await import("../helpers/duckdb.ts");
    await withDatabase(async (db) => {
      const { columns, rows } = await db.queryJson(
        "SELECT 42::BIGINT AS n, 1.5::DOUBLE AS x, 12.34::DECIMAL(10,2) AS d, true AS b, NULL AS z, 'a' AS s, 9007199254740993::BIGINT AS big, [1, 2] AS l",
      );
      expect(columns).toEqual(["n", "x", "d", "b", "z", "s", "big", "l"]);
      expect(rows).toEqual([[42, 1.5, 12.34, true, null, "a", "9007199254740993", [1, 2]]]);
    });
  });
});
