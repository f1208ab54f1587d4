// The trading state of a run as the dashboard shows it: equity and drawdown per account, the latest position per
// account and symbol, open orders, recent fills and rejections, and the kill switch. Bounded everywhere.
import { EquityMessage, PositionMessage, type EquitySnapshot, type PositionSnapshot } from "../schemas/position.ts";
import { OrderMessage, type Order, type OrderStatus } from "../schemas/order.ts";
import { FillMessage, type Fill } from "../schemas/fill.ts";
import type { OrderEvent } from "../schemas/orderEvent.ts";
import { nsToIso } from "../schemas/time.ts";
import { CappedMap, Ring } from "./ring.ts";

/** A message in its wire form (timestamps as decimal strings of ns), as the API sends it. */
export type MessageJson = Record<string, unknown>;

/** One point of an account's equity curve; `drawdown` is equity / running peak − 1 (0 at a new high, negative below). */
export interface EquityPoint {
  /** Chart time, UTC seconds (the session date's midnight for daily bars). */
  readonly time: number;
  readonly equity: number;
  readonly drawdown: number;
}

export interface KillSwitchState {
  readonly account: string;
  readonly tripped: boolean;
  readonly reason: string;
  readonly at: string;
  readonly equity: number;
}

export interface AccountJson {
  readonly account: string;
  /** The latest snapshot (wire form). */
  readonly latest: MessageJson;
  readonly peak: number;
  readonly drawdown: number;
  readonly maxDrawdown: number;
  readonly series: EquityPoint[];
}

export interface TradingJson {
  readonly accounts: AccountJson[];
  readonly positions: MessageJson[];
  readonly openOrders: MessageJson[];
  readonly fills: MessageJson[];
  readonly rejections: MessageJson[];
  readonly killSwitch: KillSwitchState[];
}

export type TradingEvent =
  | { readonly type: "equity"; readonly account: string; readonly point: EquityPoint; readonly latest: MessageJson }
  | { readonly type: "position"; readonly position: MessageJson }
  | { readonly type: "order"; readonly order: MessageJson; readonly open: boolean }
  | { readonly type: "fill"; readonly fill: MessageJson }
  | { readonly type: "killSwitch"; readonly state: KillSwitchState };

export interface TradingStateOptions {
  /** Equity points kept per account. Default 2000. */
  readonly equityPoints?: number;
  /** Accounts followed. Default 10. */
  readonly maxAccounts?: number;
  /** Positions kept (account × symbol), the longest unchanged forgotten first. Default 500. */
  readonly maxPositions?: number;
  /** Open orders kept, the oldest forgotten first. Default 500. */
  readonly maxOpenOrders?: number;
  /** Recent fills kept. Default 200. */
  readonly fills?: number;
  /** Recent rejected orders kept. Default 50. */
  readonly rejections?: number;
}

const OPEN_STATUSES: ReadonlySet<OrderStatus> = new Set(["accepted", "partially_filled", "pending_parent"]);

interface Account {
  latest: MessageJson;
  peak: number;
  maxDrawdown: number;
  readonly series: Ring<EquityPoint>;
}

export class TradingState {
  private readonly accounts = new Map<string, Account>();
  private readonly positions: CappedMap<string, MessageJson>;
  private readonly openOrders: CappedMap<string, MessageJson>;
  private readonly fills: Ring<MessageJson>;
  private readonly rejections: Ring<MessageJson>;
  private readonly kill = new Map<string, KillSwitchState>();
  private readonly o: Required<TradingStateOptions>;
  /** Open orders and positions forgotten because their caps were reached. */
  forgotten = 0;

  constructor(o: TradingStateOptions = {}) {
    this.o = {
      equityPoints: o.equityPoints ?? 2000,
      maxAccounts: o.maxAccounts ?? 10,
      maxPositions: o.maxPositions ?? 500,
      maxOpenOrders: o.maxOpenOrders ?? 500,
      fills: o.fills ?? 200,
      rejections: o.rejections ?? 50,
    };
    this.positions = new CappedMap(this.o.maxPositions);
    this.openOrders = new CappedMap(this.o.maxOpenOrders);
    this.fills = new Ring(this.o.fills);
    this.rejections = new Ring(this.o.rejections);
  }

  /** `time` maps an event time to chart seconds (daily runs show the session date). */
  equity(items: readonly EquitySnapshot[], time: (tsEvent: bigint) => number, emit: (e: TradingEvent) => void): void {
    for (const e of items) {
      let a = this.accounts.get(e.account);
      if (!a) {
        if (this.accounts.size >= this.o.maxAccounts) continue;
        this.accounts.set(e.account, (a = { latest: {}, peak: e.equity, maxDrawdown: 0, series: new Ring(this.o.equityPoints) }));
      }
      a.latest = EquityMessage.encode(e);
      a.peak = Math.max(a.peak, e.equity);
      const drawdown = a.peak > 0 ? e.equity / a.peak - 1 : 0;
      a.maxDrawdown = Math.min(a.maxDrawdown, drawdown);
      const point = { time: time(e.tsEvent), equity: e.equity, drawdown };
      // Several snapshots in one chart second (a fill and the mark after it): the last one stands.
      if (a.series.last()?.time === point.time) a.series.replaceLast(point);
      else if ((a.series.last()?.time ?? -Infinity) < point.time) a.series.push(point);
      emit({ type: "equity", account: e.account, point, latest: a.latest });
    }
  }

  positionSnapshots(items: readonly PositionSnapshot[], emit: (e: TradingEvent) => void): void {
    for (const p of items) {
      const json = PositionMessage.encode(p);
      const key = `${p.account}\0${p.symbol}`;
      // Re-inserting moves the key to the newest end, so the cap forgets the position unchanged longest.
      this.positions.delete(key);
      if (this.positions.set(key, json) !== undefined) this.forgotten++;
      emit({ type: "position", position: json });
    }
  }

  orders(items: readonly Order[], emit: (e: TradingEvent) => void): void {
    for (const o of items) {
      const json = OrderMessage.encode(o);
      const open = OPEN_STATUSES.has(o.status);
      if (open) {
        if (this.openOrders.set(o.id, json) !== undefined) this.forgotten++;
      } else this.openOrders.delete(o.id);
      if (o.status === "rejected") this.rejections.push(json);
      emit({ type: "order", order: json, open });
    }
  }

  fillItems(items: readonly Fill[], emit: (e: TradingEvent) => void): void {
    for (const f of items) {
      const json = FillMessage.encode(f);
      this.fills.push(json);
      emit({ type: "fill", fill: json });
    }
  }

  orderEvents(items: readonly OrderEvent[], emit: (e: TradingEvent) => void): void {
    for (const ev of items) {
      const state = { account: ev.account, tripped: ev.kind === "kill_switch_tripped", reason: ev.reason, at: nsToIso(ev.tsEvent), equity: ev.equity };
      this.kill.set(ev.account, state);
      emit({ type: "killSwitch", state });
    }
  }

  /** The last equity of an account, or undefined before its first snapshot. */
  lastEquity(account: string): number | undefined {
    return this.accounts.get(account)?.series.last()?.equity;
  }

  toJson(): TradingJson {
    return {
      accounts: [...this.accounts].map(([account, a]) => ({
        account,
        latest: a.latest,
        peak: a.peak,
        drawdown: a.series.last()?.drawdown ?? 0,
        maxDrawdown: a.maxDrawdown,
        series: a.series.latest(),
      })),
      positions: this.positions.values(),
      openOrders: this.openOrders.values(),
      fills: this.fills.latest(),
      rejections: this.rejections.latest(),
      killSwitch: [...this.kill.values()],
    };
  }
}
