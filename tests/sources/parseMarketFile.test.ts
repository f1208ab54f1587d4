// parseMarketFile: every recorded layout in tests/fixtures/market (copied from ../shared/data/market), and malformed rows.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { inferTimeframe, parseMarketFile, type ParsedMarketFile } from "../../sources/importers/parseMarketFile.ts";
import type { Bar } from "../../schemas/bar.ts";
import { parseTimeNs } from "../../schemas/time.ts";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/market/${name}`, import.meta.url), "utf8");
const parse = (name: string, opts: { format?: "auto" | "yahoo" | "ohlcv" | "ticks"; timeframe?: string } = {}): ParsedMarketFile =>
  parseMarketFile(fixture(name), { symbol: "SYM", file: name, ...opts });
const bars = (r: ParsedMarketFile): Bar[] => {
  if (r.kind !== "bar") throw new Error(`expected bars, got ${r.kind}`);
  return r.bars;
};
const t = (iso: string): bigint => parseTimeNs(iso)!;
const H = 3_600_000_000_000n;

describe("parseMarketFile layouts", () => {
  it("Yahoo daily (orcl): close, not Adj Close; a daily bar covers its UTC date", () => {
    const r = parse("orcl-1995-2014.txt");
    expect([r.kind, r.layout, r.kind === "bar" && r.timeframe, r.errors]).toEqual(["bar", "yahoo", "1d", []]);
    expect(bars(r)).toHaveLength(30);
    expect(bars(r)[0]).toEqual({
      symbol: "SYM",
      timeframe: "1d",
      tsOpen: t("1995-01-03"),
      tsEvent: t("1995-01-04"),
      open: 2.179012,
      high: 2.191358,
      low: 2.117284,
      close: 2.117284,
      volume: 36301200,
      vwap: (2.191358 + 2.117284 + 2.117284) / 3,
      trades: 0,
    });
    // 1995-01-06 was a Friday: the bar still covers one day, not the weekend.
    expect(bars(r)[3]!.tsEvent - bars(r)[3]!.tsOpen).toBe(24n * H);
  });

  it("daily with OpenInterest and zero volume (2006-day-001)", () => {
    const r = parse("2006-day-001.txt");
    expect([r.layout, r.kind === "bar" && r.timeframe, r.errors]).toEqual(["ohlcv", "1d", []]);
    expect(bars(r)[0]).toMatchObject({
      tsOpen: t("2006-01-02"),
      tsEvent: t("2006-01-03"),
      open: 3578.73,
      high: 3605.95,
      low: 3578.73,
      close: 3604.33,
      volume: 0,
    });
  });

  it("split date and time columns with CRLF (2006-01-02-volume-min-001): 1-minute bars stamped at their end", () => {
    const r = parse("2006-01-02-volume-min-001.txt");
    expect([r.layout, r.kind === "bar" && r.timeframe, r.errors]).toEqual(["ohlcv-split-datetime", "1m", []]);
    expect(bars(r)).toHaveLength(30);
    expect(bars(r)[0]).toMatchObject({
      tsOpen: t("2006-01-02T09:00:00Z"),
      tsEvent: t("2006-01-02T09:01:00Z"),
      open: 3602,
      high: 3603,
      low: 3597,
      close: 3599,
      volume: 5699,
    });
    expect(bars(r)[29]!.tsEvent).toBe(t("2006-01-02T09:30:00Z"));
  });

  it("blank first header cell, daily (GOOG)", () => {
    const r = parse("GOOG.csv");
    expect([r.layout, r.kind === "bar" && r.timeframe, r.errors]).toEqual(["ohlcv", "1d", []]);
    expect(bars(r)[0]).toMatchObject({
      tsOpen: t("2004-08-19"),
      tsEvent: t("2004-08-20"),
      open: 100,
      high: 104.06,
      low: 95.96,
      close: 100.34,
      volume: 22351900,
    });
  });

  it("blank first header cell, hourly with a space between date and time (EURUSD)", () => {
    const r = parse("EURUSD.csv");
    expect([r.layout, r.kind === "bar" && r.timeframe, r.errors]).toEqual(["ohlcv", "1h", []]);
    expect(bars(r)[0]).toMatchObject({
      tsOpen: t("2017-04-19T08:00:00Z"),
      tsEvent: t("2017-04-19T09:00:00Z"),
      open: 1.0716,
      high: 1.0722,
      low: 1.07083,
      close: 1.07219,
      volume: 1413,
    });
  });

  it("lower-case header with adjclose (sp500-2000)", () => {
    const r = parse("sp500-2000.csv");
    expect([r.layout, r.kind === "bar" && r.timeframe, r.errors]).toEqual(["yahoo", "1d", []]);
    expect(bars(r)[0]).toMatchObject({
      tsOpen: t("2000-01-03"),
      tsEvent: t("2000-01-04"),
      open: 1469.25,
      high: 1478,
      low: 1438.359985,
      close: 1455.219971,
      volume: 931800000,
    });
  });

  it("ticks with millisecond times and O=H=L=C become trades (ticksample)", () => {
    const r = parse("ticksample.csv");
    expect([r.kind, r.layout, r.errors]).toEqual(["trade", "ticks", []]);
    if (r.kind !== "trade") return;
    expect(r.trades).toHaveLength(30);
    expect(r.trades[0]).toEqual({ id: `SYM:${t("2015-09-23T20:57:42.146Z")}:2`, symbol: "SYM", tsEvent: 1443041862146000000n, price: 3067, size: 180 });
    expect(r.trades[1]).toMatchObject({ tsEvent: t("2015-09-23T20:57:46.151Z"), price: 3066, size: 2 });
    // Forced to bars, the same rows are 1-second bars.
    expect(parse("ticksample.csv", { format: "ohlcv" }).kind).toBe("bar");
  });

  it("takes an explicit timeframe over the inferred one", () => {
    const r = parse("EURUSD.csv", { timeframe: "4h" });
    expect(bars(r)[0]).toMatchObject({ timeframe: "4h", tsOpen: t("2017-04-19T05:00:00Z"), tsEvent: t("2017-04-19T09:00:00Z") });
  });

  it("rejects a header without OHLC columns, naming the file", () => {
    expect(() => parseMarketFile("Date,Price,Volume\n2024-01-02,1,2\n", { symbol: "X", file: "prices.csv" })).toThrow(
      /^prices\.csv:1: header "Date,Price,Volume" has no Open\/High\/Low\/Close columns/,
    );
  });

  it("infers the most common gap", () => {
    const m = 60_000_000_000n;
    expect(inferTimeframe([0n, m, 2n * m, 3n * m, 100n * m])).toBe("1m");
    expect(inferTimeframe([0n, 5n * m, 10n * m, 15n * m])).toBe("5m");
    expect(inferTimeframe([0n, 24n * 60n * m, 72n * 60n * m])).toBe("1d");
    expect(inferTimeframe([])).toBe("1d");
  });
});

describe("parseMarketFile malformed rows", () => {
  it("daily: reports each bad row with its line and the field, and parses the rest", () => {
    const r = parse("malformed-daily.txt");
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([
      [4, 'field "low": "36l5.23" is not a finite number'],
      [6, 'field "time": "2006-02-30" is not a date/time'],
      [8, 'field "high" must be >= low (3650), got 3600'],
      [10, 'field "close": "" is not a finite number'],
    ]);
    expect(r.errors[0]!.text).toBe("2006-01-04,3615.23,3652.46,36l5.23,3652.46,0,0");
    expect(bars(r).map((b) => b.tsOpen)).toEqual(["2006-01-02", "2006-01-03", "2006-01-05", "2006-01-09", "2006-01-11", "2006-01-13"].map(t));
    expect(r.kind === "bar" && r.timeframe).toBe("1d");
  });

  it("split date/time: a malformed first row does not hide the layout; bad time, number and high < low are reported", () => {
    const r = parse("malformed-split.txt");
    expect(r.layout).toBe("ohlcv-split-datetime");
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([
      [2, 'field "close": "" is not a finite number'],
      [5, 'field "close": "x" is not a finite number'],
      [7, 'field "time": "2006-01-02T25:06:00" is not a date/time'],
      [9, 'field "high" must be >= low (3601), got 3599'],
    ]);
    expect(bars(r).map((b) => b.tsEvent)).toEqual(["09:02", "09:03", "09:05", "09:07", "09:09", "09:10"].map((hm) => t(`2006-01-02T${hm}:00Z`)));
  });

  it("reports a non-positive price and a negative volume by field", () => {
    const r = parseMarketFile("Date,Open,High,Low,Close,Volume\n2024-01-02,0,1,0,1,5\n2024-01-03,1,2,1,2,-5\n2024-01-04,1,2,1,2,5\n", {
      symbol: "X",
      file: "x.csv",
    });
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([
      [2, 'field "open" must be a positive finite number, got 0'],
      [3, 'field "volume" must be a non-negative finite number, got -5'],
    ]);
    expect(bars(r)).toHaveLength(1);
  });
});
