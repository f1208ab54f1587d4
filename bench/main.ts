// Runs each benchmark module (bench/*.bench.ts exporting `run(): Promise<BenchRow[]>`) and prints one table.
import { readdirSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import { ratioOf, type BenchRow } from "./types.ts";

export async function main(args: string[]): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const only = args.filter((a) => !a.startsWith("-"));
  const files = readdirSync(here)
    .filter((f) => /\.bench\.(ts|js)$/.test(f))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();
  const rows: BenchRow[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { run: () => Promise<BenchRow[]> };
    process.stderr.write(`bench: ${file}\n`);
    rows.push(...(await mod.run()));
  }
  printTable(rows);
  // Figures to compare across commits: the table's rows with the commit and machine they were measured on.
  const out = join(here, "..", "..", "bench", "results.json");
  writeFileSync(out, `${JSON.stringify(results(rows), null, 2)}\n`);
  process.stderr.write(`bench: wrote ${out}\n`);
}

function results(rows: BenchRow[]): unknown {
  let commit: string | null = null;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    // Not a git checkout: the figures are still worth keeping.
  }
  return {
    commit,
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? null,
    rows: rows.map((r) => ({ ...r, ratio: ratioOf(r) ?? null })),
  };
}

const NUMERIC = new Set([2, 3, 4]);

function printTable(rows: BenchRow[]): void {
  const header = ["group", "figure", "tickflow", "baseline", "ratio", "unit", "baseline is / note"];
  const cells = rows.map((r) => {
    const ratio = ratioOf(r);
    return [
      r.group,
      r.name,
      formatValue(r.value),
      r.baseline ? formatValue(r.baseline.value) : "",
      ratio === undefined ? "" : `${ratio.toFixed(2)}x`,
      r.unit,
      [r.baseline?.name, r.note].filter(Boolean).join("; "),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => "| " + c.map((x, i) => (NUMERIC.has(i) ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join(" | ") + " |";
  console.log(line(header));
  console.log("|" + widths.map((w, i) => (NUMERIC.has(i) ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|");
  for (const c of cells) console.log(line(c));
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  return v.toPrecision(4);
}
