// One row of the `npm run bench` table.
export interface BenchRow {
  /** What is measured, e.g. "indicators", "replay". */
  group: string;
  /** The case, e.g. "rsi(14) tickflow". */
  name: string;
  value: number;
  /** e.g. "updates/s", "events/s", "MiB". */
  unit: string;
  note?: string;
  /**
   * The yardstick measured in the same run on the same data (the obvious implementation, DuckDB's own path, another
   * library): printed beside the value with the ratio, so a figure is never read alone.
   */
  baseline?: { readonly name: string; readonly value: number };
  /** Whether more is better (throughput, the default) or less (latency, memory): the ratio is "times better". */
  better?: "higher" | "lower";
}

/** How many times better the value is than its baseline (> 1: tickflow is ahead). */
export function ratioOf(r: BenchRow): number | undefined {
  if (!r.baseline || r.baseline.value === 0 || r.value === 0) return undefined;
  return r.better === "lower" ? r.baseline.value / r.value : r.value / r.baseline.value;
}
