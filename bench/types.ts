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
}
