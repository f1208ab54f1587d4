// `tickflow sql "QUERY"`: SQL over the recorded DuckDB database.
import type { Command } from "commander";
import { config, openDatabase } from "../../app/environment.ts";

export function register(program: Command): void {
  program
    .command("sql")
    .description("run SQL over the recording (tables: trades, bars, news, signals, features, runs, dead_letters ...)")
    .argument("<query>", "SQL query")
    .option("--format <f>", "table | csv | json", "table")
    .action(async (query: string, o: { format: string }) => {
      const db = await openDatabase(config(), { mustExist: true });
      try {
        if (o.format === "json") {
          // Typed values: numbers stay numbers, booleans booleans, NULL null (BIGINT beyond 2^53 stays an exact string).
          const { columns, rows } = await db.queryJson(query);
          console.log(
            JSON.stringify(
              rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))),
              null,
              1,
            ),
          );
          return;
        }
        const { columns, rows } = await db.queryText(query);
        console.log(formatRows(columns, rows, o.format));
      } finally {
        await db.close();
      }
    });
}

/** Text rows as csv or a table (json goes through Database.queryJson, which keeps the types). */
export function formatRows(columns: string[], rows: string[][], format: string): string {
  if (format === "csv") {
    const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    return [columns.map(q).join(","), ...rows.map((r) => r.map(q).join(","))].join("\n");
  }
  if (format !== "table") throw new Error(`--format ${format}: expected table, csv or json`);
  // Full values, never cut: a line break inside one is shown as \n so that each row stays one line.
  const shown = (v: string) => v.replace(/\r?\n/g, "\\n");
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => shown(r[i]!).length)));
  const line = (cells: string[]) => cells.map((c, i) => shown(c).padEnd(widths[i]!)).join(" | ");
  return [line(columns), widths.map((w) => "-".repeat(w)).join("-+-"), ...rows.map(line), `(${rows.length} row${rows.length === 1 ? "" : "s"})`].join("\n");
}
