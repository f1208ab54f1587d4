// Command-line helpers: option parsing shared by commands. The process environment (config, NATS, DuckDB,
// Ctrl-C) is app/environment.ts.
import { PACKAGE_ROOT } from "../io/packageRoot.ts";
import { parseTimeNs } from "../schemas/time.ts";

export const REPO_ROOT = PACKAGE_ROOT;

export function parseSymbols(s: string): string[] {
  return s
    .split(",")
    .map((x) => x.trim().toUpperCase())
    .filter(Boolean);
}

/** Parses a `--from`/`--to` style option: ISO-8601 (to nanoseconds) or integer nanoseconds. */
export function parseTimeOption(s: string | undefined, flag: string): bigint | undefined {
  if (s === undefined) return undefined;
  const t = parseTimeNs(s);
  if (t === undefined) throw new Error(`${flag} ${JSON.stringify(s)} is not an ISO-8601 time or integer nanoseconds`);
  return t;
}
