// Small builders for trading tests: bars by index, daily bars from a Yahoo CSV fixture, and event filters.
import { readFileSync } from "node:fs";
import type { Bar } from "../../schemas/bar.ts";
import type { Fill } from "../../schemas/fill.ts";
import type { Order } from "../../schemas/order.ts";
import type { BrokerEvent } from "../../schemas/brokerEvent.ts";

export const MIN = 60_000_000_000n;
export const DAY = 86_400_000_000_000n;

/** A 1-minute bar number `i` (tsOpen = i minutes, tsEvent = i + 1 minutes). */
export function bar(i: number, o: number, h: number, l: number, c: number, volume = 1_000, symbol = "AAA"): Bar {
  return {
    symbol,
    timeframe: "1m",
    tsOpen: BigInt(i) * MIN,
    tsEvent: BigInt(i + 1) * MIN,
    open: o,
    high: h,
    low: l,
    close: c,
    volume,
    vwap: (h + l + c) / 3,
    trades: 0,
  };
}

/** Daily bars from a Yahoo layout CSV (Date,Open,High,Low,Close,Adj Close,Volume); '#' lines are comments. */
export function loadDailyBars(path: string, symbol: string): Bar[] {
  const lines = readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"));
  return lines.slice(1).map((line) => {
    const [date, o, h, l, c, , v] = line.split(",");
    const tsOpen = BigInt(Date.parse(`${date}T00:00:00Z`)) * 1_000_000n;
    const close = Number(c);
    return {
      symbol,
      timeframe: "1d",
      tsOpen,
      tsEvent: tsOpen + DAY,
      open: Number(o),
      high: Number(h),
      low: Number(l),
      close,
      volume: Number(v),
      vwap: close,
      trades: 0,
    };
  });
}

export const fills = (events: readonly BrokerEvent[]): Fill[] => events.flatMap((e) => (e.type === "fill" ? [e.fill] : []));
export const orders = (events: readonly BrokerEvent[]): Order[] => events.flatMap((e) => (e.type === "order" ? [e.order] : []));
export const lastOrder = (events: readonly BrokerEvent[], id: string): Order | undefined =>
  orders(events)
    .filter((o) => o.id === id)
    .at(-1);
