// `tickflow export RUN_ID --format parquet|arrow`: one recorded run as files for pandas, polars or pyarrow.
import { relative } from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import { config, openDatabase } from "../../app/environment.ts";
import { checkExportTables, EXPORT_FORMATS, EXPORT_TABLES, exportRun, type ExportFormat, type RunExport } from "../../replay/exportRun.ts";

/** `--tables trades,signals`: refused while parsing when it names a table no export holds. */
function parseTables(list: string): string[] {
  const tables = list
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  if (tables.length === 0) throw new InvalidArgumentError(`give one or more of ${EXPORT_TABLES.join(", ")}, comma-separated`);
  try {
    checkExportTables(tables);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return tables;
}

/** The default directory: `export-<RUN_ID>` in the working directory (a run id's `/` and such become `_`). */
const defaultDir = (runId: string): string => `export-${runId.replace(/[^A-Za-z0-9._-]/g, "_")}`;

/** What an export prints: a line on the run, a table of the files, then the tables not written and why. */
export function exportSummary(x: RunExport, cwd = process.cwd()): string {
  const shown = (file: string): string => (file.startsWith(cwd) ? relative(cwd, file) : file);
  const rows = x.written.map((w) => [w.table, w.rows.toLocaleString("en-US"), shown(w.file)]);
  const header = ["table", "rows", "file"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join(" | ")
      .trimEnd();
  const out = [`run ${x.runId} (${x.pipeline}, ${x.mode}, ${x.status}) as ${x.format} into ${shown(x.dir) || "."}:`];
  if (rows.length) out.push(line(header), widths.map((w) => "-".repeat(w)).join("-+-"), ...rows.map(line));
  else out.push("nothing written: no table has rows of the run");
  const byReason = new Map<string, string[]>();
  for (const s of x.skipped) (byReason.get(s.reason) ?? byReason.set(s.reason, []).get(s.reason)!).push(s.table);
  for (const [reason, tables] of byReason) out.push(`not written (${reason}): ${tables.join(", ")}`);
  return out.join("\n");
}

export function register(program: Command): void {
  program
    .command("export")
    .description(
      "export one recorded run (its runs row, the inputs it processed, its outputs) as Parquet or Arrow IPC files, one per table, for pandas or polars",
    )
    .argument("<run-id>", 'the run (tickflow sql "SELECT run_id, pipeline, status FROM runs" lists them)')
    .addOption(new Option("--format <format>", "file format: parquet (.parquet) or Arrow IPC file (.arrow)").choices(EXPORT_FORMATS).makeOptionMandatory())
    .option("--out <dir>", "directory to write the files into (default: ./export-<RUN_ID>)")
    .option("--tables <list>", `comma-separated tables to export (default: every one with rows of the run): ${EXPORT_TABLES.join(", ")}`, parseTables)
    .option("--force", "write over files of an earlier export")
    .action(async (runId: string, o: { format: ExportFormat; out?: string; tables?: string[]; force?: boolean }) => {
      const db = await openDatabase(config(), { mustExist: true });
      try {
        const x = await exportRun(db, runId, { format: o.format, dir: o.out ?? defaultDir(runId), tables: o.tables, force: o.force });
        console.log(exportSummary(x));
      } finally {
        await db.close();
      }
    });
}
