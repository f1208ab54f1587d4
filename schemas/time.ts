// Conversions between the engine's time unit (bigint nanoseconds since the epoch) and human forms.

export const NS_PER_MS = 1_000_000n;
export const NS_PER_SECOND = 1_000_000_000n;

/** ISO-8601 with nanoseconds, e.g. 2024-01-02T14:30:00.123456789Z. */
export function nsToIso(ns: bigint): string {
  const ms = ns / NS_PER_MS;
  const frac = ((ns % NS_PER_SECOND) + NS_PER_SECOND) % NS_PER_SECOND;
  const base = new Date(Number(ms)).toISOString().slice(0, 19);
  return `${base}.${frac.toString().padStart(9, "0")}Z`;
}

/**
 * Parses an ISO date/time (fractional seconds up to nanoseconds; no zone means UTC) or integer nanoseconds.
 * Returns undefined when the text is not a time.
 */
export function parseTimeNs(text: string): bigint | undefined {
  const s = text.trim();
  if (/^-?\d{12,19}$/.test(s)) return BigInt(s);
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!m) return undefined;
  const [, date, hh = "00", mm = "00", ss = "00", frac = "", zone = "Z"] = m;
  // Date.parse rolls impossible days over (2006-02-30 → March 2); reject them instead.
  const [y, mo, d] = date!.split("-").map(Number) as [number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return undefined;
  const ms = Date.parse(`${date}T${hh}:${mm}:${ss}${zone === "Z" ? "Z" : zone}`);
  if (!Number.isFinite(ms)) return undefined;
  return BigInt(ms) * NS_PER_MS + BigInt(frac.padEnd(9, "0") || "0");
}

/** Parses durations like "500ms", "2s", "1m", "4h", "1d", "60s" into nanoseconds. */
export function parseDurationNs(text: string): bigint {
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration "${text}": expected e.g. 500ms, 2s, 1m, 4h, 1d`);
  const unit = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9 }[m[2] as "ns"];
  return BigInt(Math.round(Number(m[1]) * unit));
}

const DAY_NS = 86_400_000_000_000n;
/**
 * The time a trader expects to see for a bar stamped `tsEvent`: a daily-or-longer bar ends at the next midnight,
 * so its session is the day of tsEvent − 1 ns (the 2006-02-10 bar, stamped 2006-02-11T00:00, shows as 2006-02-10).
 * Intraday bars and non-bar events keep their event time. `barNs` is the bar length (timeframeNs), if any.
 */
export function sessionTimeNs(tsEvent: bigint, barNs?: bigint): bigint {
  return barNs !== undefined && barNs >= DAY_NS ? tsEvent - 1n : tsEvent;
}

/** The display date (YYYY-MM-DD, UTC) of `tsEvent` for a bar of length `barNs`: the session date of daily bars. */
export function sessionDate(tsEvent: bigint, barNs?: bigint): string {
  return nsToIso(sessionTimeNs(tsEvent, barNs)).slice(0, 10);
}
