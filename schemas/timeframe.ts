// Bar timeframes: "15s", "1m", "5m", "1h", "1d" ... parsed once into a duration in nanoseconds.
import { TickflowError } from "../core/errors.ts";

const UNIT_NS = { s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n, d: 86_400_000_000_000n } as const;
export const TIMEFRAME_PATTERN = /^([1-9]\d{0,3})(s|m|h|d)$/;

export class UnknownTimeframeError extends TickflowError {
  static override readonly code = "TIMEFRAME_UNKNOWN";
  override readonly name = "UnknownTimeframeError";
  constructor(readonly timeframe: string) {
    super(`unknown timeframe "${timeframe}": expected a count and a unit s|m|h|d, e.g. 15s, 1m, 5m, 1h, 1d`);
  }
}

/** Duration of a timeframe in nanoseconds; throws UnknownTimeframeError. */
export function timeframeNs(tf: string): bigint {
  const m = TIMEFRAME_PATTERN.exec(tf);
  if (!m) throw new UnknownTimeframeError(tf);
  return BigInt(m[1]!) * UNIT_NS[m[2] as keyof typeof UNIT_NS];
}
