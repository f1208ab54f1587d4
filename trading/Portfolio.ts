// Portfolio: cash, positions, average prices, realized and unrealized P&L, and round-trip trades, from fills.
// equity = cash + market value of cash instruments + unrealized P&L of margined (futures-like) instruments.
import type { Fill } from "../schemas/fill.ts";
import type { EquitySnapshot, PositionSnapshot } from "../schemas/position.ts";
import { isMargined, type Instrument } from "./instrument.ts";

export interface PositionState {
  symbol: string;
  /** Signed: > 0 long, < 0 short. */
  qty: number;
  avgPrice: number;
  markPrice: number;
  realizedPnl: number;
  commission: number;
}

/** A round trip: from flat to flat (or to a reversal). pnl is net of the commissions of its fills. */
export interface ClosedTrade {
  symbol: string;
  side: "long" | "short";
  /** Largest absolute position during the trade. */
  qty: number;
  entryTs: bigint;
  exitTs: bigint;
  entryPrice: number;
  exitPrice: number;
  grossPnl: number;
  commission: number;
  pnl: number;
  /** pnl / (entryPrice * qty * multiplier). */
  returnPct: number;
}

interface OpenTrade {
  side: "long" | "short";
  entryTs: bigint;
  maxQty: number;
  entryQty: number;
  entryNotional: number;
  exitQty: number;
  exitNotional: number;
  grossPnl: number;
  commission: number;
}

/** What the portfolio remembers (plain data, bigints included, for a checkpoint); account and starting cash are configuration. */
export interface PortfolioState {
  cash: number;
  positions: Record<string, PositionState>;
  openTrades: Record<string, OpenTrade>;
  closedTrades: ClosedTrade[];
}

const EPS = 1e-9;

export class Portfolio {
  private s: PortfolioState;

  constructor(
    private readonly account: string,
    startingCash: number,
    private readonly instrumentOf: (symbol: string) => Instrument,
    state?: PortfolioState,
  ) {
    this.s = state ? structuredClone(state) : { cash: startingCash, positions: {}, openTrades: {}, closedTrades: [] };
  }

  toState(): PortfolioState {
    return structuredClone(this.s);
  }

  get cash(): number {
    return this.s.cash;
  }
  get closedTrades(): readonly ClosedTrade[] {
    return this.s.closedTrades;
  }
  symbols(): string[] {
    return Object.keys(this.s.positions);
  }
  position(symbol: string): number {
    return this.s.positions[symbol]?.qty ?? 0;
  }
  markPrice(symbol: string): number | undefined {
    const p = this.s.positions[symbol];
    return p && p.markPrice > 0 ? p.markPrice : undefined;
  }

  /** Books a fill. A fill that crosses zero closes the old position and opens the rest on the other side. */
  applyFill(f: Fill): void {
    const inst = this.instrumentOf(f.symbol);
    const m = inst.multiplier;
    const p = this.pos(f.symbol);
    const dq = f.side === "buy" ? f.qty : -f.qty;
    const q0 = p.qty;
    let realized = 0;
    let closeQty = 0;
    if (q0 === 0 || Math.sign(q0) === Math.sign(dq)) {
      p.avgPrice = (Math.abs(q0) * p.avgPrice + f.qty * f.price) / (Math.abs(q0) + f.qty);
    } else {
      closeQty = Math.min(f.qty, Math.abs(q0));
      realized = closeQty * (f.price - p.avgPrice) * Math.sign(q0) * m;
      if (f.qty > Math.abs(q0) + EPS) p.avgPrice = f.price;
    }
    p.qty = Math.abs(q0 + dq) < EPS ? 0 : q0 + dq;
    if (p.qty === 0) p.avgPrice = 0;
    p.realizedPnl += realized;
    p.commission += f.commission;
    if (p.markPrice === 0) p.markPrice = f.price;
    this.s.cash -= f.commission;
    this.s.cash += isMargined(inst) ? realized : -dq * f.price * m;
    this.trackTrade(f, q0, closeQty, realized, m);
  }

  /** Sets the price positions in `symbol` are valued at. */
  mark(symbol: string, price: number): void {
    const p = this.s.positions[symbol];
    if (p) p.markPrice = price;
    else this.s.positions[symbol] = { symbol, qty: 0, avgPrice: 0, markPrice: price, realizedPnl: 0, commission: 0 };
  }

  private unrealizedPnl(symbol: string): number {
    const p = this.s.positions[symbol];
    if (!p || p.qty === 0) return 0;
    return (p.markPrice - p.avgPrice) * p.qty * this.instrumentOf(symbol).multiplier;
  }

  /** What the position adds to equity: market value (cash instruments) or unrealized P&L (margined). */
  private positionValue(symbol: string): number {
    const p = this.s.positions[symbol];
    if (!p || p.qty === 0) return 0;
    const inst = this.instrumentOf(symbol);
    return isMargined(inst) ? this.unrealizedPnl(symbol) : p.qty * p.markPrice * inst.multiplier;
  }

  equity(): number {
    let e = this.s.cash;
    for (const sym in this.s.positions) e += this.positionValue(sym);
    return e;
  }

  grossExposure(): number {
    let g = 0;
    for (const sym in this.s.positions) {
      const p = this.s.positions[sym]!;
      g += Math.abs(p.qty * p.markPrice * this.instrumentOf(sym).multiplier);
    }
    return g;
  }

  marginUsed(): number {
    let m = 0;
    for (const sym in this.s.positions) m += Math.abs(this.s.positions[sym]!.qty) * (this.instrumentOf(sym).initialMargin ?? 0);
    return m;
  }

  positionSnapshot(symbol: string, tsEvent: bigint): PositionSnapshot {
    const p = this.pos(symbol);
    return {
      account: this.account,
      symbol,
      tsEvent,
      qty: p.qty,
      avgPrice: p.avgPrice,
      markPrice: p.markPrice,
      realizedPnl: p.realizedPnl,
      unrealizedPnl: this.unrealizedPnl(symbol),
      commission: p.commission,
    };
  }

  equitySnapshot(tsEvent: bigint): EquitySnapshot {
    let realized = 0;
    let unrealized = 0;
    let commission = 0;
    let net = 0;
    for (const sym in this.s.positions) {
      const p = this.s.positions[sym]!;
      realized += p.realizedPnl;
      unrealized += this.unrealizedPnl(sym);
      commission += p.commission;
      net += p.qty * p.markPrice * this.instrumentOf(sym).multiplier;
    }
    return {
      account: this.account,
      tsEvent,
      cash: this.s.cash,
      equity: this.equity(),
      grossExposure: this.grossExposure(),
      netExposure: net,
      marginUsed: this.marginUsed(),
      realizedPnl: realized,
      unrealizedPnl: unrealized,
      commission,
    };
  }

  private pos(symbol: string): PositionState {
    let p = this.s.positions[symbol];
    if (!p) this.s.positions[symbol] = p = { symbol, qty: 0, avgPrice: 0, markPrice: 0, realizedPnl: 0, commission: 0 };
    return p;
  }

  private trackTrade(f: Fill, q0: number, closeQty: number, realized: number, multiplier: number): void {
    const openQty = f.qty - closeQty;
    // Commission is shared between the closing and the opening part of a reversing fill by quantity.
    const closeCommission = (f.commission * closeQty) / f.qty;
    let t: OpenTrade | undefined = this.s.openTrades[f.symbol];
    if (closeQty > 0 && t) {
      t.exitQty += closeQty;
      t.exitNotional += closeQty * f.price;
      t.grossPnl += realized;
      t.commission += closeCommission;
      if (Math.abs(Math.abs(q0) - closeQty) < EPS) {
        const entryPrice = t.entryNotional / t.entryQty;
        const pnl = t.grossPnl - t.commission;
        this.s.closedTrades.push({
          symbol: f.symbol,
          side: t.side,
          qty: t.maxQty,
          entryTs: t.entryTs,
          exitTs: f.tsEvent,
          entryPrice,
          exitPrice: t.exitNotional / t.exitQty,
          grossPnl: t.grossPnl,
          commission: t.commission,
          pnl,
          returnPct: pnl / (entryPrice * t.maxQty * multiplier),
        });
        delete this.s.openTrades[f.symbol];
        t = undefined;
      }
    }
    if (openQty > EPS) {
      if (!t) {
        t = {
          side: f.side === "buy" ? "long" : "short",
          entryTs: f.tsEvent,
          maxQty: 0,
          entryQty: 0,
          entryNotional: 0,
          exitQty: 0,
          exitNotional: 0,
          grossPnl: 0,
          commission: 0,
        };
        this.s.openTrades[f.symbol] = t;
      }
      t.entryQty += openQty;
      t.entryNotional += openQty * f.price;
      t.commission += f.commission - closeCommission;
      t.maxQty = Math.max(t.maxQty, Math.abs(this.position(f.symbol)));
    }
  }
}
