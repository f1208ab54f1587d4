// Pure parsers for recorded market files: OHLCV bars (daily and intraday, several CSV layouts) and
// trade ticks. A malformed row is reported with its line and reason; the rest still parse.
import { BarMessage, type Bar } from "../../schemas/bar.ts";
import { MessageValidationError } from "../../schemas/message.ts";
import { parseTimeNs, NS_PER_SECOND } from "../../schemas/time.ts";
import { TradeMessage, type Trade } from "../../schemas/trade.ts";

export type MarketFormat = "auto" | "yahoo" | "ohlcv" | "ticks";

export interface RowError {
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

export type ParsedMarketFile =
  | { readonly kind: "bar"; readonly layout: string; readonly timeframe: string; readonly bars: Bar[]; readonly errors: RowError[] }
  | { readonly kind: "trade"; readonly layout: string; readonly trades: Trade[]; readonly errors: RowError[] };

interface Columns {
  readonly time: number;
  /** Index of a separate time-of-day column (date and time split in two), if any. */
  readonly timeOfDay?: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

const DAY = 86_400n * NS_PER_SECOND;
const TIMEFRAMES: readonly [string, bigint][] = [
  ["1d", DAY],
  ["4h", 4n * 3600n * NS_PER_SECOND],
  ["1h", 3600n * NS_PER_SECOND],
  ["30m", 1800n * NS_PER_SECOND],
  ["15m", 900n * NS_PER_SECOND],
  ["5m", 300n * NS_PER_SECOND],
  ["1m", 60n * NS_PER_SECOND],
  ["1s", NS_PER_SECOND],
];

/**
 * Parses a market CSV. Layouts recognised by the header: Yahoo (Date,Open,High,Low,Close,Adj Close,Volume),
 * generic OHLCV with a date or datetime first column (named or blank, e.g. an exported index), split date +
 * time columns, and tick files (Datetime with milliseconds and O=H=L=C) which become trades.
 * Intraday bar times are bar ends (the backtrader/Yahoo convention); a daily bar covers its UTC date.
 * Unadjusted prices are used; Adj Close is ignored.
 */
export function parseMarketFile(text: string, opts: { symbol: string; file: string; format?: MarketFormat; timeframe?: string }): ParsedMarketFile {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? "").split(",").map((h) => h.trim().toLowerCase());
  const col = (names: string[]): number => header.findIndex((h) => names.includes(h));
  const errors: RowError[] = [];
  const cols: Columns = {
    time: Math.max(0, col(["date", "datetime", "time", "timestamp", ""])),
    open: col(["open"]),
    high: col(["high"]),
    low: col(["low"]),
    close: col(["close"]),
    volume: col(["volume", "vol"]),
  };
  if ([cols.open, cols.high, cols.low, cols.close].some((i) => i < 0)) {
    throw new Error(`${opts.file}:1: header ${JSON.stringify(lines[0])} has no Open/High/Low/Close columns; expected e.g. Date,Open,High,Low,Close,Volume`);
  }
  // Date and time split in two columns under one "Date" header (data rows have one field more). Looks at a
  // few rows, so that one malformed first row does not turn every other row into an error.
  const split = lines.slice(1, 11).some((l) => {
    const f = l.split(",");
    return f.length === header.length + 1 && /^\d{1,2}:\d{2}(:\d{2})?$/.test(f[1]?.trim() ?? "");
  });
  const c: Columns = split
    ? {
        time: 0,
        timeOfDay: 1,
        open: cols.open + 1,
        high: cols.high + 1,
        low: cols.low + 1,
        close: cols.close + 1,
        volume: cols.volume < 0 ? -1 : cols.volume + 1,
      }
    : cols;
  const layout = header.includes("adj close") || header.includes("adjclose") ? "yahoo" : split ? "ohlcv-split-datetime" : "ohlcv";

  interface Row {
    line: number;
    ts: bigint;
    o: number;
    h: number;
    l: number;
    c: number;
    v: number;
    text: string;
    daily: boolean;
  }
  const rows: Row[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === "") continue;
    const f = raw.split(",");
    const line = i + 1;
    const timeText = c.timeOfDay !== undefined ? `${f[c.time]?.trim()}T${f[c.timeOfDay]?.trim()}` : (f[c.time] ?? "").trim();
    const ts = parseTimeNs(timeText);
    if (ts === undefined) {
      errors.push({ line, reason: `field "time": ${JSON.stringify(timeText)} is not a date/time`, text: raw });
      continue;
    }
    const num = (idx: number, name: string): number | string => {
      if (idx < 0) return 0;
      const s = (f[idx] ?? "").trim();
      const x = s === "" ? NaN : Number(s);
      return Number.isFinite(x) ? x : `field "${name}": ${JSON.stringify(s)} is not a finite number`;
    };
    const vals = [num(c.open, "open"), num(c.high, "high"), num(c.low, "low"), num(c.close, "close"), num(c.volume, "volume")];
    const bad = vals.find((v) => typeof v === "string");
    if (bad !== undefined) {
      errors.push({ line, reason: bad as string, text: raw });
      continue;
    }
    const [o, h, l, cl, v] = vals as number[];
    rows.push({ line, ts, o: o!, h: h!, l: l!, c: cl!, v: v!, text: raw, daily: !/[T ]\d/.test(timeText) });
  }

  const looksLikeTicks =
    opts.format === "ticks" ||
    (opts.format !== "yahoo" &&
      opts.format !== "ohlcv" &&
      header[0] === "datetime" &&
      rows.length > 0 &&
      rows.every((r) => r.o === r.h && r.h === r.l && r.l === r.c) &&
      rows.some((r) => r.ts % NS_PER_SECOND !== 0n));
  if (looksLikeTicks) {
    const trades: Trade[] = [];
    for (const r of rows) {
      try {
        trades.push(TradeMessage.create({ id: `${opts.symbol}:${r.ts}:${r.line}`, symbol: opts.symbol, tsEvent: r.ts, price: r.c, size: r.v }));
      } catch (e) {
        errors.push({ line: r.line, reason: reasonOf(e), text: r.text });
      }
    }
    return { kind: "trade", layout: "ticks", trades, errors: inFileOrder(errors) };
  }

  const timeframe = opts.timeframe ?? inferTimeframe(rows.map((r) => r.ts));
  const tf = TIMEFRAMES.find(([n]) => n === timeframe)?.[1] ?? parseTf(timeframe);
  const bars: Bar[] = [];
  for (const r of rows) {
    // Daily rows are dates: the bar covers the day. Intraday rows are stamped at the bar's end.
    const tsOpen = r.daily ? r.ts : r.ts - tf;
    const tsEvent = r.daily ? r.ts + tf : r.ts;
    try {
      bars.push(
        BarMessage.create({
          symbol: opts.symbol,
          timeframe,
          tsOpen,
          tsEvent,
          open: r.o,
          high: r.h,
          low: r.l,
          close: r.c,
          volume: r.v,
          vwap: (r.h + r.l + r.c) / 3,
          trades: 0,
        }),
      );
    } catch (e) {
      errors.push({ line: r.line, reason: reasonOf(e), text: r.text });
    }
  }
  return { kind: "bar", layout, timeframe, bars, errors: inFileOrder(errors) };
}

/** The most common gap between consecutive times, rounded to a standard timeframe. */
export function inferTimeframe(times: readonly bigint[]): string {
  const counts = new Map<string, number>();
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    if (gap <= 0n) continue;
    const tf = TIMEFRAMES.find(([, ns]) => gap >= ns)?.[0] ?? "1s";
    const best = gap >= DAY ? "1d" : tf;
    counts.set(best, (counts.get(best) ?? 0) + 1);
  }
  let best = "1d";
  let n = -1;
  for (const [k, v] of counts) if (v > n) [best, n] = [k, v];
  return best;
}

function parseTf(tf: string): bigint {
  const m = /^(\d+)(s|m|h|d)$/.exec(tf);
  if (!m) throw new Error(`unknown timeframe "${tf}": expected e.g. 1m, 1h, 1d`);
  return BigInt(m[1]!) * { s: NS_PER_SECOND, m: 60n * NS_PER_SECOND, h: 3600n * NS_PER_SECOND, d: DAY }[m[2] as "s"];
}

// Rows failing the message checks are found after the parse errors; report all in file order.
const inFileOrder = (errors: RowError[]): RowError[] => errors.sort((a, b) => a.line - b.line);

function reasonOf(e: unknown): string {
  if (e instanceof MessageValidationError) return `field "${e.field}" ${e.reason}`;
  return (e as Error).message;
}
