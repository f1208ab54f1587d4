// PBO (CSCV) and the deflated Sharpe ratio against cases computed by hand from the papers' definitions.
import { describe, expect, it } from "vitest";
import {
  deflatedSharpe,
  deflatedSharpeFrom,
  expectedMaxSharpe,
  moments,
  normCdf,
  normInv,
  periodSharpe,
  probabilityOfOverfitting,
  pboVerdict,
} from "../../replay/optimize/overfitting.ts";
import { seededRandom } from "../../replay/optimize/params.ts";

/** Seeded standard normal draws (Box-Muller). */
function normals(n: number, seed: number): number[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd()));
}

describe("normal distribution", () => {
  it("Φ and Φ⁻¹ match tabulated values", () => {
    expect(normCdf(0)).toBeCloseTo(0.5, 15);
    expect(normCdf(1.96)).toBeCloseTo(0.9750021048517795, 12);
    expect(normCdf(-3)).toBeCloseTo(0.0013498980316301, 14);
    expect(normCdf(4)).toBeCloseTo(0.9999683287581669, 14);
    expect(normInv(0.975)).toBeCloseTo(1.959963984540054, 10);
    expect(normInv(0.01)).toBeCloseTo(-2.326347874040841, 10);
    for (const p of [1e-6, 0.2, 0.5, 0.9, 0.999]) expect(normCdf(normInv(p))).toBeCloseTo(p, 12);
  });
});

describe("probability of backtest overfitting (CSCV)", () => {
  it("is 0 when one variant dominates in every period", () => {
    const base = normals(160, 7).map((x) => x * 0.01);
    const returns = [0, 1, 2, 3].map((k) => base.map((x, t) => x + (k === 2 ? 0.02 : 0) + 0.001 * Math.sin(t * (k + 1))));
    const r = probabilityOfOverfitting(returns, 8);
    expect(r.blocks).toBe(8);
    expect(r.splits).toBe(70); // C(8, 4)
    expect(r.pbo).toBe(0);
  });

  it("is 1 when the in-sample best is always the out-of-sample worst", () => {
    // Two variants trading places between alternating blocks: whichever wins in sample has the other's OOS blocks.
    // With S = 2 (one block in sample, one out) the IS winner loses OOS: rank 1 of 2, ω = 1/3, λ < 0.
    const a = [...normals(50, 1).map((x) => 0.01 + x * 0.001), ...normals(50, 2).map((x) => -0.01 + x * 0.001)];
    const b = [...normals(50, 3).map((x) => -0.01 + x * 0.001), ...normals(50, 4).map((x) => 0.01 + x * 0.001)];
    const r = probabilityOfOverfitting([a, b], 2);
    expect(r.splits).toBe(2);
    expect(r.logits[0]).toBeCloseTo(Math.log(1 / 3 / (2 / 3)), 12);
    expect(r.pbo).toBe(1);
    expect(pboVerdict(r.pbo)).toMatch(/more likely than not below median/);
  });

  it("is about one half for variants that are all noise", () => {
    const returns = Array.from({ length: 20 }, (_, k) => normals(400, 100 + k).map((x) => x * 0.01));
    const r = probabilityOfOverfitting(returns, 10);
    expect(r.pbo).toBeGreaterThan(0.25);
    expect(r.pbo).toBeLessThan(0.75);
  });
});

describe("deflated Sharpe ratio (Bailey & López de Prado 2014)", () => {
  it("reproduces the paper's example: SR 2.5 annualised, T 1250, skew -3, kurtosis 10, N 100, V[SR] 0.5 annualised", () => {
    // Per-period figures with 250 periods a year, as in the paper.
    const sharpe = 2.5 / Math.sqrt(250);
    const variance = 0.5 / 250;
    const sr0 = expectedMaxSharpe(100, variance);
    expect(sr0).toBeCloseTo(0.1132, 4); // the paper: SR0 ≈ 0.1132 per period
    const dsr = deflatedSharpeFrom({ sharpe, periods: 1250, skewness: -3, kurtosis: 10, trials: 100, variance });
    // By hand: Φ((0.1581 − 0.1132)·√1249 / √(1 + 3·0.1581 + 9/4·0.025)) with the paper's formula.
    const z = ((sharpe - sr0) * Math.sqrt(1249)) / Math.sqrt(1 + 3 * sharpe + (9 / 4) * sharpe ** 2);
    expect(dsr).toBeCloseTo(normCdf(z), 14);
    expect(dsr).toBeCloseTo(0.9004, 3); // the paper's DSR
  });

  it("computes SR, skewness, kurtosis and the trials' variance from the returns matrix", () => {
    const returns = [0, 1, 2].map((k) => normals(300, 40 + k).map((x) => 0.0005 * k + x * 0.01));
    const d = deflatedSharpe(returns, 2);
    const srs = returns.map(periodSharpe);
    const m = srs.reduce((a, b) => a + b, 0) / 3;
    const v = srs.reduce((a, x) => a + (x - m) ** 2, 0) / 2;
    const { skewness, kurtosis } = moments(returns[2]!);
    expect(d.sharpe).toBe(srs[2]);
    expect(d.sharpe0).toBeCloseTo(expectedMaxSharpe(3, v), 15);
    expect(d.dsr).toBeCloseTo(normCdf(((srs[2]! - d.sharpe0) * Math.sqrt(299)) / Math.sqrt(1 - skewness * srs[2]! + ((kurtosis - 1) / 4) * srs[2]! ** 2)), 14);
    // Normal returns: skewness near 0, kurtosis near 3.
    expect(Math.abs(skewness)).toBeLessThan(0.5);
    expect(kurtosis).toBeGreaterThan(2);
    expect(kurtosis).toBeLessThan(4);
  });
});
