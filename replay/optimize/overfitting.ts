// Overfitting guards for a parameter sweep: the probability of backtest overfitting (CSCV) and the deflated Sharpe
// ratio. Formulas and references: docs/optimize.md. Pure functions of a returns matrix.

/** Standard normal CDF, through erfc. */
export function normCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** erfc: the Taylor series of erf below 2.5, a continued fraction above (both to about 1e-15). */
function erfc(x: number): number {
  const z = Math.abs(x);
  let r: number;
  if (z < 2.5) {
    // erf by its Taylor series (converges fast for z < 2.5): erf z = 2/sqrt(pi) sum (-1)^n z^(2n+1) / (n! (2n+1))
    let term = z;
    let sum = z;
    for (let n = 1; n < 200; n++) {
      term *= (-z * z) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // Continued fraction (Lentz) for erfc at larger z.
    let f = z;
    let c = z;
    let d = 0;
    for (let n = 1; n < 300; n++) {
      const a = n / 2;
      d = z + a * d;
      d = d === 0 ? 1e-300 : 1 / d;
      c = z + a / c;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    r = Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
  }
  return x >= 0 ? r : 2 - r;
}

/** Inverse standard normal CDF (Acklam's rational approximation, refined by one Halley step). */
export function normInv(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - 0.02425) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const e = normCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Per-period Sharpe ratio (mean / sample standard deviation), NaN without variance. */
export function periodSharpe(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return NaN;
  let m = 0;
  for (let i = 0; i < n; i++) m += xs[i]!;
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (xs[i]! - m) ** 2;
  const sd = Math.sqrt(v / (n - 1));
  return sd > 0 ? m / sd : NaN;
}

export interface PboResult {
  /** The fraction of the splits whose in-sample best ranks at or below the median out of sample (logit <= 0). */
  readonly pbo: number;
  /** Blocks the periods were cut into (even), and the splits evaluated (S choose S/2). */
  readonly blocks: number;
  readonly splits: number;
  /** The logit of the in-sample best's relative out-of-sample rank, per split. */
  readonly logits: readonly number[];
}

function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, acc: number[]): void => {
    if (acc.length === k) {
      out.push([...acc]);
      return;
    }
    for (let i = start; i <= n - (k - acc.length); i++) {
      acc.push(i);
      pick(i + 1, acc);
      acc.pop();
    }
  };
  pick(0, []);
  return out;
}

/**
 * Probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey, Borwein, López de
 * Prado, Zhu 2017). `returns[n][t]`: variant n's return in period t (all of one length T). The T periods are cut
 * into `blocks` even blocks (the last ones may hold one period more); for every choice of half of them as the
 * in-sample set, the variant with the best in-sample Sharpe ratio is ranked among all out of sample (ω = rank /
 * (N + 1), rank 1 the worst, ties averaged) and λ = ln(ω / (1 − ω)); PBO is the share of λ <= 0.
 */
export function probabilityOfOverfitting(returns: readonly ArrayLike<number>[], blocks = 16): PboResult {
  const N = returns.length;
  const T = N ? returns[0]!.length : 0;
  let S = Math.min(blocks, T - (T % 2));
  if (S % 2) S--;
  if (N < 2 || S < 2) return { pbo: NaN, blocks: S, splits: 0, logits: [] };
  // Per block and variant: count, sum, sum of squares, so a split's Sharpe ratio is O(S) per variant.
  const bounds = Array.from({ length: S + 1 }, (_, b) => Math.floor((b * T) / S));
  const sums = returns.map((r) =>
    Array.from({ length: S }, (_, b) => {
      let s = 0;
      let q = 0;
      for (let t = bounds[b]!; t < bounds[b + 1]!; t++) {
        s += r[t]!;
        q += r[t]! * r[t]!;
      }
      return [bounds[b + 1]! - bounds[b]!, s, q] as const;
    }),
  );
  const sharpeOver = (n: number, set: readonly number[]): number => {
    let c = 0;
    let s = 0;
    let q = 0;
    for (const b of set) {
      const x = sums[n]![b]!;
      c += x[0];
      s += x[1];
      q += x[2];
    }
    if (c < 2) return NaN;
    const m = s / c;
    const v = (q - c * m * m) / (c - 1);
    return v > 1e-30 ? m / Math.sqrt(v) : NaN;
  };
  const score = (x: number): number => (Number.isNaN(x) ? -Infinity : x);
  const logits: number[] = [];
  for (const is of combinations(S, S / 2)) {
    const inIs = new Set(is);
    const oos = Array.from({ length: S }, (_, b) => b).filter((b) => !inIs.has(b));
    let best = 0;
    let bestIs = -Infinity;
    for (let n = 0; n < N; n++) {
      const x = score(sharpeOver(n, is));
      if (x > bestIs) {
        bestIs = x;
        best = n;
      }
    }
    const perf = Array.from({ length: N }, (_, n) => score(sharpeOver(n, oos)));
    const mine = perf[best]!;
    let below = 0;
    let equal = 0;
    for (const x of perf) {
      if (x < mine) below++;
      else if (x === mine) equal++;
    }
    const rank = below + (equal + 1) / 2; // 1 = worst; ties share the average rank
    const w = rank / (N + 1);
    logits.push(Math.log(w / (1 - w)));
  }
  return { pbo: logits.filter((l) => l <= 0).length / logits.length, blocks: S, splits: logits.length, logits };
}

export interface DeflatedSharpe {
  /** Probability that the chosen variant's true Sharpe ratio is above the best one expected from N unskilled trials. */
  readonly dsr: number;
  /** The chosen variant's per-period Sharpe ratio. */
  readonly sharpe: number;
  /** The expected maximum per-period Sharpe ratio of N trials with the observed variance of their Sharpe ratios. */
  readonly sharpe0: number;
  readonly trials: number;
  readonly periods: number;
  readonly skewness: number;
  /** Kurtosis (not excess: 3 for normal returns). */
  readonly kurtosis: number;
}

const EULER_GAMMA = 0.5772156649015329;

/** The expected maximum of N standard-normal Sharpe estimates scaled by sqrt(variance): SR0 of the DSR. */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (trials < 2) return 0;
  return Math.sqrt(variance) * ((1 - EULER_GAMMA) * normInv(1 - 1 / trials) + EULER_GAMMA * normInv(1 - 1 / (trials * Math.E)));
}

/**
 * Deflated Sharpe ratio (Bailey & López de Prado 2014) from per-period figures: sharpe SR*, periods T, skewness γ3,
 * kurtosis γ4 of the chosen returns, and SR0 = expectedMaxSharpe(N, V[SR_n]):
 * DSR = Φ((SR* − SR0) sqrt(T − 1) / sqrt(1 − γ3 SR* + (γ4 − 1) / 4 SR*²)).
 */
export function deflatedSharpeFrom(o: { sharpe: number; periods: number; skewness: number; kurtosis: number; trials: number; variance: number }): number {
  const sr0 = expectedMaxSharpe(o.trials, o.variance);
  const denom = Math.sqrt(1 - o.skewness * o.sharpe + ((o.kurtosis - 1) / 4) * o.sharpe ** 2);
  return normCdf(((o.sharpe - sr0) * Math.sqrt(o.periods - 1)) / denom);
}

/** Skewness and kurtosis (population moments, as the paper uses). */
export function moments(xs: ArrayLike<number>): { skewness: number; kurtosis: number } {
  const n = xs.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += xs[i]!;
  m /= n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - m;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { skewness: m2 > 0 ? m3 / m2 ** 1.5 : NaN, kurtosis: m2 > 0 ? m4 / (m2 * m2) : NaN };
}

/** The DSR of variant `chosen` among `returns` (every variant counted as a trial). */
export function deflatedSharpe(returns: readonly ArrayLike<number>[], chosen: number): DeflatedSharpe {
  const srs = returns.map(periodSharpe).filter((x) => Number.isFinite(x));
  const mean = srs.reduce((a, b) => a + b, 0) / srs.length;
  const variance = srs.length > 1 ? srs.reduce((a, x) => a + (x - mean) ** 2, 0) / (srs.length - 1) : 0;
  const r = returns[chosen]!;
  const sharpe = periodSharpe(r);
  const { skewness, kurtosis } = moments(r);
  const trials = returns.length;
  return {
    dsr: deflatedSharpeFrom({ sharpe, periods: r.length, skewness, kurtosis, trials, variance }),
    sharpe,
    sharpe0: expectedMaxSharpe(trials, variance),
    trials,
    periods: r.length,
    skewness,
    kurtosis,
  };
}

/** One plain sentence for the PBO. */
export function pboVerdict(pbo: number): string {
  if (!Number.isFinite(pbo)) return "PBO n/a: too few variants or periods";
  const p = pbo.toFixed(2);
  if (pbo > 0.5) return `PBO ${p}: the in-sample best is more likely than not below median out of sample (likely overfit)`;
  if (pbo > 0.2) return `PBO ${p}: the in-sample best often falls below median out of sample; treat the choice with caution`;
  return `PBO ${p}: the in-sample best mostly stays above median out of sample`;
}

export function dsrVerdict(d: DeflatedSharpe): string {
  if (!Number.isFinite(d.dsr)) return "DSR n/a";
  const p = d.dsr.toFixed(2);
  return d.dsr >= 0.95
    ? `DSR ${p}: the best Sharpe ratio is significant after ${d.trials} trials (95 %)`
    : `DSR ${p}: after ${d.trials} trials the best Sharpe ratio is not significant at 95 % (could be luck of the search)`;
}
