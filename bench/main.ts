// Runs each benchmark module (bench/*.bench.ts exporting `run(): Promise<BenchRow[]>`) and prints one table.
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import type { BenchRow } from "./types.ts";

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
}

function printTable(rows: BenchRow[]): void {
  const header = ["group", "case", "value", "unit", "note"];
  const cells = rows.map((r) => [r.group, r.name, formatValue(r.value), r.unit, r.note ?? ""]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => "| " + c.map((x, i) => (i === 2 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join(" | ") + " |";
  console.log(line(header));
  console.log("|" + widths.map((w, i) => (i === 2 ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|");
  for (const c of cells) console.log(line(c));
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  return v.toPrecision(4);
}
