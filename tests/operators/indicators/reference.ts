// Independent batch formulations, written from the textbook definitions (whole arrays, no running state shared
// with the kernels), against which the streaming kernels are checked on every bar. Index i of each result is the
// value after input i; undefined during warm-up.

import type { Bar } from "../../../operators/indicators/types.ts";

type Series = (number | undefined)[];
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function sma(xs: readonly number[], n: number): Series {
  return xs.map((_, i) => (i < n - 1 ? undefined : mean(xs.slice(i - n + 1, i + 1))));
}

/** EMA written as α·x + (1 − α)·prev, seeded with the mean of the first n inputs. */
export function ema(xs: readonly number[], n: number): Series {
  const a = 2 / (n + 1);
  const out: Series = xs.map(() => undefined);
  let prev = 0;
  for (let i = n - 1; i < xs.length; i++) {
    prev = i === n - 1 ? mean(xs.slice(0, n)) : a * xs[i]! + (1 - a) * prev;
    out[i] = prev;
  }
  return out;
}

/** EMA of a series that starts with undefined values. */
function emaOfSeries(s: Series, n: number): Series {
  const start = s.findIndex((v) => v !== undefined);
  if (start < 0) return s.map(() => undefined);
  const tail = ema(s.slice(start) as number[], n);
  return [...s.slice(0, start).map(() => undefined), ...tail];
}

export function wma(xs: readonly number[], n: number): Series {
  const denom = (n * (n + 1)) / 2;
  return xs.map((_, i) => {
    if (i < n - 1) return undefined;
    let s = 0;
    for (let j = 0; j < n; j++) s += (j + 1) * xs[i - n + 1 + j]!;
    return s / denom;
  });
}

export function dema(xs: readonly number[], n: number): Series {
  const e1 = ema(xs, n);
  const e2 = emaOfSeries(e1, n);
  return e1.map((v, i) => (e2[i] === undefined ? undefined : 2 * v! - e2[i]!));
}

export function tema(xs: readonly number[], n: number): Series {
  const e1 = ema(xs, n);
  const e2 = emaOfSeries(e1, n);
  const e3 = emaOfSeries(e2, n);
  return e1.map((v, i) => (e3[i] === undefined ? undefined : 3 * v! - 3 * e2[i]! + e3[i]!));
}

/** Wilder smoothing of a series (seed: mean of the first n values). */
function wilder(xs: readonly number[], n: number): Series {
  const out: Series = xs.map(() => undefined);
  let prev = 0;
  for (let i = n - 1; i < xs.length; i++) {
    prev = i === n - 1 ? mean(xs.slice(0, n)) : prev + (xs[i]! - prev) / n;
    out[i] = prev;
  }
  return out;
}

/** RSI as 100 − 100 / (1 + RS). */
export function rsi(xs: readonly number[], n: number): Series {
  const ch = xs.slice(1).map((x, i) => x - xs[i]!);
  const g = wilder(
    ch.map((c) => Math.max(c, 0)),
    n,
  );
  const l = wilder(
    ch.map((c) => Math.max(-c, 0)),
    n,
  );
  return [undefined, ...g.map((gv, i) => (gv === undefined ? undefined : l[i] === 0 ? (gv === 0 ? 0 : 100) : 100 - 100 / (1 + gv / l[i]!)))];
}

/** TA-Lib MACD: fast EMA seeded on the window ending where the slow seed window ends. */
export function macd(xs: readonly number[], fast: number, slow: number, signal: number) {
  const f = [...xs.slice(0, slow - fast).map(() => undefined), ...ema(xs.slice(slow - fast), fast)];
  const s = ema(xs, slow);
  const line: Series = xs.map((_, i) => (s[i] === undefined || f[i] === undefined ? undefined : f[i]! - s[i]!));
  const sig = emaOfSeries(line, signal);
  return xs.map((_, i) => (sig[i] === undefined ? undefined : { macd: line[i]!, signal: sig[i]!, hist: line[i]! - sig[i]! }));
}

/** Two-pass population standard deviation of each window. */
export function stddev(xs: readonly number[], n: number): Series {
  return xs.map((_, i) => {
    if (i < n - 1) return undefined;
    const w = xs.slice(i - n + 1, i + 1);
    const m = mean(w);
    return Math.sqrt(mean(w.map((x) => (x - m) ** 2)));
  });
}

export function trueRanges(bars: readonly Bar[]): number[] {
  return bars.slice(1).map((b, i) => Math.max(b.high - b.low, Math.abs(b.high - bars[i]!.close), Math.abs(b.low - bars[i]!.close)));
}

export function atr(bars: readonly Bar[], n: number): Series {
  return [undefined, ...wilder(trueRanges(bars), n)];
}

export function stochastic(bars: readonly Bar[], kPeriod: number, kSmooth: number, dPeriod: number) {
  const fastK = bars.map((b, i) => {
    if (i < kPeriod - 1) return undefined;
    const w = bars.slice(i - kPeriod + 1, i + 1);
    const hh = Math.max(...w.map((x) => x.high));
    const ll = Math.min(...w.map((x) => x.low));
    return hh === ll ? 0 : (100 * (b.close - ll)) / (hh - ll);
  });
  const smaSeries = (s: Series, n: number): Series => {
    const start = s.findIndex((v) => v !== undefined);
    return [...s.slice(0, start), ...sma(s.slice(start) as number[], n)];
  };
  const k = smaSeries(fastK, kSmooth);
  const d = smaSeries(k, dPeriod);
  return bars.map((_, i) => (d[i] === undefined ? undefined : { k: k[i]!, d: d[i]! }));
}

/** Wilder's ADX, from his book's sums: TR14 = TR14 − TR14/14 + TR1 (the first TR14 a plain sum of 14 − 1 ... as TA-Lib). */
export function adx(bars: readonly Bar[], n: number) {
  const plusDM = bars.slice(1).map((b, i) => {
    const up = b.high - bars[i]!.high;
    const down = bars[i]!.low - b.low;
    return up > down && up > 0 ? up : 0;
  });
  const minusDM = bars.slice(1).map((b, i) => {
    const up = b.high - bars[i]!.high;
    const down = bars[i]!.low - b.low;
    return down > up && down > 0 ? down : 0;
  });
  const tr = trueRanges(bars);
  // Smoothed sums: the first (n − 1) one-bar values summed, then s = s − s/n + today from change n on.
  const smooth = (xs: number[]) => {
    const out: number[] = [];
    let s = 0;
    xs.forEach((x, i) => {
      s = i < n - 1 ? s + x : s - s / n + x;
      out.push(s);
    });
    return out;
  };
  const sp = smooth(plusDM);
  const sm = smooth(minusDM);
  const st = smooth(tr);
  const pdi = sp.map((v, i) => (100 * v) / st[i]!);
  const mdi = sm.map((v, i) => (100 * v) / st[i]!);
  const dx = pdi.map((p, i) => (100 * Math.abs(p - mdi[i]!)) / (p + mdi[i]!));
  // DX exists from change n − 1 (bar n); ADX = Wilder average of DX.
  const adxs = wilder(dx.slice(n - 1), n);
  return bars.map((_, bar) => {
    const c = bar - 1; // change index
    const a = c - (n - 1) >= 0 ? adxs[c - (n - 1)] : undefined;
    return a === undefined ? undefined : { adx: a, plusDI: pdi[c]!, minusDI: mdi[c]! };
  });
}

export function obv(bars: readonly Bar[]): number[] {
  const out: number[] = [bars[0]!.volume];
  for (let i = 1; i < bars.length; i++) {
    const s = Math.sign(bars[i]!.close - bars[i - 1]!.close);
    out.push(out[i - 1]! + s * bars[i]!.volume);
  }
  return out;
}

export function cci(bars: readonly Bar[], n: number): Series {
  const tp = bars.map((b) => (b.high + b.low + b.close) / 3);
  return tp.map((x, i) => {
    if (i < n - 1) return undefined;
    const w = tp.slice(i - n + 1, i + 1);
    const m = mean(w);
    const md = mean(w.map((v) => Math.abs(v - m)));
    return md === 0 ? 0 : (x - m) / (0.015 * md);
  });
}

export function roc(xs: readonly number[], n: number): Series {
  return xs.map((x, i) => (i < n ? undefined : (100 * (x - xs[i - n]!)) / xs[i - n]!));
}

export function vwapRolling(bars: readonly Bar[], n: number): Series {
  return bars.map((_, i) => {
    if (i < n - 1) return undefined;
    const w = bars.slice(i - n + 1, i + 1);
    const pv = w.reduce((a, b) => a + ((b.high + b.low + b.close) / 3) * b.volume, 0);
    return pv / w.reduce((a, b) => a + b.volume, 0);
  });
}
