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
