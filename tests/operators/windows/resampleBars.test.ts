import { describe, expect, it } from "vitest";
import { resampleBars, sessionLocator } from "../../../operators/resampleBars.ts";
import type { Bar } from "../../../schemas/bar.ts";
import { chunk, END, flat, minuteBar, runChunks, scheduler } from "./helpers.ts";
import type { Chunk } from "../../../core/chunk.ts";
import { disorderedFeeds, expectResumesAfterAnyChunk } from "../resumeCheck.ts";

const MIN = 60_000_000_000n;
const at = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;
const iso = (ns: bigint): string => new Date(Number(ns / 1_000_000n)).toISOString();

/** A bar of `minutes` starting at `open`; price fields derived from `p` unless given. */
function bar(symbol: string, open: bigint, minutes: number, p: number, extra: Partial<Bar> = {}): Bar {
  const tf = BigInt(minutes) * MIN;
  return {
    symbol,
    timeframe: `${minutes}m`,
    tsOpen: open,
    tsEvent: open + tf,
    open: p,
    high: p + 1,
    low: p - 1,
    close: p + 0.5,
    volume: 100,
    vwap: p + 0.25,
    trades: 10,
    ...extra,
  };
}
const NY = { timezone: "America/New_York", open: "09:30", close: "16:00" };

describe("resampleBars", () => {
  it("1m → 5m: OHLCV, VWAP and trade count; emitted only once the watermark passes the bucket end", () => {
    const t0 = at("2024-01-02T14:30:00Z");
    const ones = [0, 1, 2, 3, 4].map((i) => bar("AAPL", t0 + BigInt(i) * MIN, 1, 100 + i, { volume: 100 * (i + 1), vwap: 100 + i, trades: i + 1 }));
    ones[2] = { ...ones[2]!, high: 110 };
    ones[3] = { ...ones[3]!, low: 90 };
    const late: string[] = [];
    const { out } = runChunks(resampleBars({ timeframe: "5m", onLate: (_b, r) => late.push(r) }), [
      chunk(ones.slice(0, 4), ones[3]!.tsEvent),
      chunk(ones.slice(4), t0 + 5n * MIN), // the last 1m bar ends exactly at 09:35: not yet complete
      chunk([], t0 + 5n * MIN + 1n),
    ]);
    expect(out.map((c) => c.items.length)).toEqual([0, 0, 1]);
    const b = out[2]!.items[0]!;
    const vwap = (100 * 100 + 101 * 200 + 102 * 300 + 103 * 400 + 104 * 500) / 1500;
    expect(b).toEqual({
      symbol: "AAPL",
      timeframe: "5m",
      tsOpen: t0,
      tsEvent: t0 + 5n * MIN,
      open: 100,
      high: 110,
      low: 90,
      close: 104.5,
      volume: 1500,
      vwap,
      trades: 15,
    });
    expect(late).toEqual([]);
  });

  it("out-of-order bars within a bucket: open from the earliest, close from the latest by tsOpen", () => {
    const t0 = at("2024-01-02T14:30:00Z");
    const [a, b, c] = [0, 1, 2].map((i) => bar("X", t0 + BigInt(i) * MIN, 1, 10 + i));
    const { out } = runChunks(resampleBars({ timeframe: "5m", onLate: () => undefined }), [chunk([b!, c!, a!], t0), chunk([], END)]);
    expect(flat(out)).toMatchObject([{ open: a!.open, close: c!.close, tsOpen: t0, tsEvent: t0 + 5n * MIN }]);
  });

  it("daily with a session: one bar per session, DST-aware, never spanning the overnight gap; outside bars are rejected", () => {
    const days = ["2024-01-02", "2024-07-02"]; // EST (UTC−5) and EDT (UTC−4)
    const bars: Bar[] = [];
    for (const d of days) {
      const open = sessionLocator(NY)(at(`${d}T17:00:00Z`)).open;
      bars.push(bar("SPY", open - 60n * MIN, 30, 400)); // pre-market
      for (let i = 0; i < 13; i++) bars.push(bar("SPY", open + BigInt(i) * 30n * MIN, 30, 400 + i));
      bars.push(bar("SPY", open + 13n * 30n * MIN, 30, 999)); // 16:00–16:30 after hours
    }
    const outside: string[] = [];
    const { out } = runChunks(
      resampleBars({
        timeframe: "1d",
        session: NY,
        onLate: () => {
          throw new Error("no late bars here");
        },
        onOutsideSession: (b) => outside.push(iso(b.tsOpen)),
      }),
      [chunk(bars, END)],
    );
    const daily = flat(out);
    expect(daily.map((b) => [iso(b.tsOpen), iso(b.tsEvent), b.open, b.close, b.high, b.volume, b.trades])).toEqual([
      ["2024-01-02T14:30:00.000Z", "2024-01-02T21:00:00.000Z", 400, 412.5, 413, 1300, 130],
      ["2024-07-02T13:30:00.000Z", "2024-07-02T20:00:00.000Z", 400, 412.5, 413, 1300, 130],
    ]);
    expect(outside).toEqual(["2024-01-02T13:30:00.000Z", "2024-01-02T21:00:00.000Z", "2024-07-02T12:30:00.000Z", "2024-07-02T20:00:00.000Z"]);
  });

  it("intraday with a session: buckets start at the open and the last one is truncated at the close", () => {
    const open = at("2024-01-02T14:30:00Z");
    const bars = Array.from({ length: 13 }, (_, i) => bar("SPY", open + BigInt(i) * 30n * MIN, 30, 100));
    const hourly = flat(runChunks(resampleBars({ timeframe: "1h", session: NY, onLate: () => undefined }), [chunk(bars, END)]).out);
    expect(hourly.map((b) => `${iso(b.tsOpen).slice(11, 16)}-${iso(b.tsEvent).slice(11, 16)}`)).toEqual([
      "14:30-15:30",
      "15:30-16:30",
      "16:30-17:30",
      "17:30-18:30",
      "18:30-19:30",
      "19:30-20:30",
      "20:30-21:00",
    ]);
  });

  it("without a session, 1d is a UTC calendar day", () => {
    const t = at("2024-01-02T23:00:00Z");
    const out = flat(
      runChunks(resampleBars({ timeframe: "1d", onLate: () => undefined }), [chunk([bar("BTC", t, 60, 1), bar("BTC", t + 60n * MIN, 60, 2)], END)]).out,
    );
    expect(out.map((b) => [iso(b.tsOpen), iso(b.tsEvent)])).toEqual([
      ["2024-01-02T00:00:00.000Z", "2024-01-03T00:00:00.000Z"],
      ["2024-01-03T00:00:00.000Z", "2024-01-04T00:00:00.000Z"],
    ]);
  });

  it("late bars and bars crossing a bucket boundary go to onLate with a reason", () => {
    const t0 = at("2024-01-02T14:30:00Z");
    const late: string[] = [];
    const { out } = runChunks(resampleBars({ timeframe: "3m", onLate: (_b, r) => late.push(r) }), [
      chunk([bar("A", t0, 2, 1)], t0 + 10n * MIN), // 14:30 is not on a 3m boundary: [14:30,14:32) fits [14:30,14:33)
      chunk([bar("A", t0 + 2n * MIN, 2, 1)], t0 + 11n * MIN), // [14:32,14:34) crosses 14:33
      chunk([bar("A", t0 + 1n * MIN, 1, 1)], END), // its bucket was emitted at the watermark 14:40
    ]);
    expect(flat(out)).toHaveLength(1);
    expect(late[0]).toMatch(/crosses the 3m bucket end/);
    expect(late[1]).toMatch(/already emitted/);
  });

  it("allowed lateness: accepts bars for a bucket until end + lateness and lags the output watermark", () => {
    const t0 = at("2024-01-02T14:30:00Z");
    const { out } = runChunks(resampleBars({ timeframe: "5m", allowedLatenessNs: MIN, onLate: () => undefined }), [
      chunk([bar("A", t0, 1, 1)], t0 + 5n * MIN + 30_000_000_000n),
      chunk([bar("A", t0 + 4n * MIN, 1, 2)], t0 + 7n * MIN),
    ]);
    expect(out.map((c) => c.watermark)).toEqual([t0 + 4n * MIN + 30_000_000_000n, t0 + 6n * MIN]);
    expect(flat(out)).toMatchObject([{ open: 1, close: 2.5, volume: 200 }]);
  });

  it("sessions: fixed offsets, and clear errors for bad zones, times and multi-day timeframes", () => {
    const s = sessionLocator({ timezone: "+05:30", open: "09:15", close: "15:30" })(at("2024-01-02T05:00:00Z"));
    expect([iso(s.open), iso(s.close)]).toEqual(["2024-01-02T03:45:00.000Z", "2024-01-02T10:00:00.000Z"]);
    expect(() => sessionLocator({ timezone: "Mars/Olympus", open: "09:30", close: "16:00" })).toThrow(/not a known IANA zone/);
    expect(() => sessionLocator({ timezone: "UTC", open: "9:30", close: "16:00" })).toThrow(/HH:MM/);
    expect(() => sessionLocator({ timezone: "UTC", open: "18:00", close: "17:00" })).toThrow(/must be after open/);
    expect(() => resampleBars({ timeframe: "2d", session: NY, onLate: () => undefined })).toThrow(/intraday or 1d/);
  });

  it("marbles: empty input, early unsubscribe, a throwing handler errors the stream", () => {
    const t0 = at("2024-01-02T14:30:00Z");
    const boom = new Error("dlq down");
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const empty = cold<Chunk<Bar>>("-a-b|", { a: chunk<Bar>([], 5), b: chunk<Bar>([], END) });
      expectObservable(empty.pipe(resampleBars({ timeframe: "5m", onLate: () => undefined }))).toBe("-x-y|", { x: chunk<Bar>([], 5), y: chunk<Bar>([], END) });
      const src = cold<Chunk<Bar>>("-a-a-a|", { a: chunk<Bar>([], 5) });
      expectObservable(src.pipe(resampleBars({ timeframe: "5m", onLate: () => undefined })), "^-!").toBe("-x", { x: chunk<Bar>([], 5) });
      expectSubscriptions(src.subscriptions).toBe("^-!");
      const bad = cold<Chunk<Bar>>("-a|", { a: chunk([bar("A", t0 + 2n * MIN, 2, 1)], END) }); // crosses 14:33
      expectObservable(
        bad.pipe(
          resampleBars({
            timeframe: "3m",
            onLate: () => {
              throw boom;
            },
          }),
        ),
      ).toBe("-#", undefined, boom);
    });
  });
});

describe("resampleBars checkpoints", () => {
  it("resumes from a checkpoint after any chunk", () => {
    // 1m bars of three symbols from 09:20 to 10:40 New York time: ten minutes before the open, then the session.
    const first = Number(at("2024-01-02T14:20:00Z") / MIN);
    const ones: Bar[] = [];
    for (let i = 0; i < 80; i++)
      for (const [k, symbol] of ["AAPL", "MSFT", "ZZZ"].entries())
        ones.push(minuteBar(first + i, 100 + ((i * 7 + k * 3) % 11), { symbol, volume: 10 + k + (i % 5) }));
    const feeds = disorderedFeeds(ones, { size: 8, seed: 9, lateEvery: 3, late: (b) => ({ ...b, close: b.close + 1 }) });
    const { late } = expectResumesAfterAnyChunk<Bar>(
      (late) =>
        ([bars$]) =>
          bars$.pipe(
            resampleBars({
              timeframe: "15m",
              session: NY,
              allowedLatenessNs: MIN,
              onLate: (b, why) => late.push(`late ${iso(b.tsOpen)}: ${why}`),
              onOutsideSession: (b, why) => late.push(`outside ${iso(b.tsOpen)}: ${why}`),
            }),
          ),
      feeds,
      { minOutputs: 12, minLate: 10 },
    );
    expect(late.some((l) => l.startsWith("outside "))).toBe(true);
    expect(late.some((l) => l.includes("already emitted"))).toBe(true);
  });
});
