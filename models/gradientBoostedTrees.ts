// Binary gradient-boosted regression trees on the log-loss (second-order, histogram splits), fully deterministic.
import { assertBinary } from "./logisticRegression.ts";
import { mulberry32 } from "./prng.ts";

export interface GradientBoostedTreesParams {
  /** Trees in the ensemble. Default 100. */
  readonly nTrees?: number;
  /** Maximum depth of each tree (root = depth 0). Default 3. */
  readonly maxDepth?: number;
  /** Shrinkage applied to every leaf value. Default 0.1. */
  readonly learningRate?: number;
  /** Minimum training rows in each leaf. Default 20. */
  readonly minSamplesLeaf?: number;
  /** L2 penalty on leaf values (λ in -G / (H + λ)). Default 1. */
  readonly l2?: number;
  /** Candidate thresholds per feature are at most maxBins - 1 training quantiles (2..256). Default 64. */
  readonly maxBins?: number;
  /** Smallest loss reduction worth a split. Default 0. */
  readonly minGain?: number;
  /** Fraction of rows sampled (seeded) per tree; 1 uses all rows. Default 1. */
  readonly subsample?: number;
  /** Seed for row subsampling. Default 1. */
  readonly seed?: number;
}

/**
 * One tree as flat arrays indexed by node id (pre-order, root = 0). A node is a leaf when feature[i] = -1.
 * Branches go left when x[feature] <= threshold (ONNX BRANCH_LEQ); NaN goes right.
 * Leaf values already include the learning rate.
 */
export interface RegressionTree {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
}

export interface GradientBoostedTreesModel {
  readonly kind: "gbt";
  readonly featureNames: readonly string[];
  /** Log-odds of the training base rate; added after the tree sum. */
  readonly baseScore: number;
  readonly trees: readonly RegressionTree[];
  readonly params: Required<GradientBoostedTreesParams>;
}

/**
 * Fits P(y = 1 | x) = sigmoid(baseScore + Σ_trees tree(x)).
 * @example const m = trainGradientBoostedTrees(X, y, n, names, { nTrees: 200, maxDepth: 3 });
 * @param X row-major training features (n × featureNames.length), all finite
 * @param y labels 0/1
 */
export function trainGradientBoostedTrees(
  X: Float64Array,
  y: ArrayLike<number>,
  n: number,
  featureNames: readonly string[],
  params: GradientBoostedTreesParams = {},
): GradientBoostedTreesModel {
  const p = resolveParams(params);
  const f = featureNames.length;
  if (X.length !== n * f) throw new Error(`trainGradientBoostedTrees: X has ${X.length} numbers, expected ${n} × ${f}`);
  if (y.length !== n) throw new Error(`trainGradientBoostedTrees: y has ${y.length} labels, expected ${n}`);
  assertBinary(y);
  for (let k = 0; k < X.length; k++) {
    if (!Number.isFinite(X[k]!)) {
      throw new Error(`trainGradientBoostedTrees: feature "${featureNames[k % f]}" row ${Math.floor(k / f)} is ${X[k]}; training needs finite features`);
    }
  }

  const { thresholds, bins } = binFeatures(X, n, f, p.maxBins);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i]!;
  const rate = Math.min(1 - 1e-6, Math.max(1e-6, positives / n));
  const baseScore = Math.log(rate / (1 - rate));

  const score = new Float64Array(n); // tree sum so far, without baseScore
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const rand = mulberry32(p.seed);
  const trees: RegressionTree[] = [];
  const rows = new Int32Array(n);

  for (let t = 0; t < p.nTrees; t++) {
    for (let i = 0; i < n; i++) {
      const prob = 1 / (1 + Math.exp(-(score[i]! + baseScore)));
      grad[i] = prob - y[i]!;
      hess[i] = prob * (1 - prob);
    }
    let m = 0;
    for (let i = 0; i < n; i++) if (p.subsample >= 1 || rand() < p.subsample) rows[m++] = i;
    const builder = new TreeBuilder(bins, thresholds, n, grad, hess, p);
    builder.grow(rows, 0, m, 0);
    const tree = builder.toTree();
    trees.push(tree);
    for (let i = 0; i < n; i++) score[i]! += tree.value[leafOfBinned(tree, builder.splitBins, bins, f, i)]!;
  }
  return { kind: "gbt", featureNames: [...featureNames], baseScore, trees, params: p };
}

/** Raw score (log-odds) per row: Σ tree values, then + baseScore (the order ONNX TreeEnsemble sums in). */
export function rawScoreGradientBoostedTrees(model: GradientBoostedTreesModel, X: Float64Array, n: number): Float64Array {
  const f = model.featureNames.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const tree of model.trees) {
      let node = 0;
      while (tree.feature[node]! >= 0) {
        node = X[i * f + tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
      }
      s += tree.value[node]!;
    }
    out[i] = s + model.baseScore;
  }
  return out;
}

/** P(y = 1) per row of X (row-major, n rows). */
export function predictGradientBoostedTrees(model: GradientBoostedTreesModel, X: Float64Array, n: number): Float64Array {
  return rawScoreGradientBoostedTrees(model, X, n).map((z) => 1 / (1 + Math.exp(-z)));
}

function resolveParams(params: GradientBoostedTreesParams): Required<GradientBoostedTreesParams> {
  const p = {
    nTrees: params.nTrees ?? 100,
    maxDepth: params.maxDepth ?? 3,
    learningRate: params.learningRate ?? 0.1,
    minSamplesLeaf: params.minSamplesLeaf ?? 20,
    l2: params.l2 ?? 1,
    maxBins: params.maxBins ?? 64,
    minGain: params.minGain ?? 0,
    subsample: params.subsample ?? 1,
    seed: params.seed ?? 1,
  };
  const checks: [boolean, string][] = [
    [Number.isInteger(p.nTrees) && p.nTrees >= 1, `nTrees must be an integer >= 1, got ${p.nTrees}`],
    [Number.isInteger(p.maxDepth) && p.maxDepth >= 1, `maxDepth must be an integer >= 1, got ${p.maxDepth}`],
    [p.learningRate > 0 && p.learningRate <= 1, `learningRate must be in (0, 1], got ${p.learningRate}`],
    [Number.isInteger(p.minSamplesLeaf) && p.minSamplesLeaf >= 1, `minSamplesLeaf must be an integer >= 1, got ${p.minSamplesLeaf}`],
    [p.l2 >= 0, `l2 must be >= 0, got ${p.l2}`],
    [Number.isInteger(p.maxBins) && p.maxBins >= 2 && p.maxBins <= 256, `maxBins must be an integer in 2..256, got ${p.maxBins}`],
    [p.minGain >= 0, `minGain must be >= 0, got ${p.minGain}`],
    [p.subsample > 0 && p.subsample <= 1, `subsample must be in (0, 1], got ${p.subsample}`],
  ];
  for (const [ok, message] of checks) if (!ok) throw new Error(`gradient-boosted trees: ${message}`);
  return p;
}

/**
 * Candidate thresholds per feature are actual training values (quantiles), so "x <= threshold" routes a row
 * identically in training (by bin) and at inference (by value, in double).
 * bin(x) = first k with x <= thresholds[k], or thresholds.length when above all.
 */
function binFeatures(X: Float64Array, n: number, f: number, maxBins: number): { thresholds: Float64Array[]; bins: Uint8Array } {
  const thresholds: Float64Array[] = [];
  const bins = new Uint8Array(n * f); // row-major like X: bins[i * f + j]
  const column = new Float64Array(n);
  for (let j = 0; j < f; j++) {
    for (let i = 0; i < n; i++) column[i] = X[i * f + j]!;
    const sorted = column.slice().sort();
    const cuts: number[] = [];
    for (let b = 1; b < maxBins; b++) {
      const v = sorted[Math.min(n - 1, Math.floor((b * n) / maxBins))]!;
      if (v < sorted[n - 1]! && (cuts.length === 0 || v > cuts[cuts.length - 1]!)) cuts.push(v);
    }
    const th = Float64Array.from(cuts);
    thresholds.push(th);
    for (let i = 0; i < n; i++) {
      let lo = 0;
      let hi = th.length;
      const x = column[i]!;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (x <= th[mid]!) hi = mid;
        else lo = mid + 1;
      }
      bins[i * f + j] = lo;
    }
  }
  return { thresholds, bins };
}

function leafOfBinned(tree: RegressionTree, splitBins: number[], bins: Uint8Array, f: number, i: number): number {
  let node = 0;
  while (tree.feature[node]! >= 0) {
    node = bins[i * f + tree.feature[node]!]! <= splitBins[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return node;
}

interface Histogram {
  readonly grad: Float64Array;
  readonly hess: Float64Array;
  readonly count: Int32Array;
}

function subtract(parent: Histogram, child: Histogram): Histogram {
  return {
    grad: parent.grad.map((v, i) => v - child.grad[i]!),
    hess: parent.hess.map((v, i) => v - child.hess[i]!),
    count: parent.count.map((v, i) => v - child.count[i]!),
  };
}

class TreeBuilder {
  readonly feature: number[] = [];
  readonly threshold: number[] = [];
  readonly left: number[] = [];
  readonly right: number[] = [];
  readonly value: number[] = [];
  /** Split bin per node (-1 for leaves), used to route training rows without touching raw values. */
  readonly splitBins: number[] = [];
  readonly f: number;
  private readonly scratch: Int32Array;

  constructor(
    readonly bins: Uint8Array,
    private readonly thresholds: Float64Array[],
    n: number,
    readonly grad: Float64Array,
    readonly hess: Float64Array,
    private readonly p: Required<GradientBoostedTreesParams>,
  ) {
    this.f = thresholds.length;
    this.scratch = new Int32Array(n);
  }

  /**
   * Grows the subtree for rows[start, end) and returns its node id (pre-order). `hist` is the node's histogram
   * when the caller already has it (the larger child's is parent minus smaller child's).
   */
  grow(rows: Int32Array, start: number, end: number, depth: number, hist?: Histogram): number {
    const id = this.feature.length;
    let G = 0;
    let H = 0;
    for (let k = start; k < end; k++) {
      G += this.grad[rows[k]!]!;
      H += this.hess[rows[k]!]!;
    }
    this.pushLeaf(G, H);
    const count = end - start;
    if (depth >= this.p.maxDepth || count < 2 * this.p.minSamplesLeaf) return id;

    const parentScore = (G * G) / (H + this.p.l2);
    const { bins, f } = this;
    const { l2, minSamplesLeaf } = this.p;
    const own = hist ?? this.histogram(rows, start, end);
    const hg = own.grad;
    const hh = own.hess;
    const hc = own.count;
    let bestGain = this.p.minGain;
    let bestFeature = -1;
    let bestBin = -1;
    for (let j = 0; j < f; j++) {
      const nb = this.thresholds[j]!.length + 1;
      if (nb < 2) continue;
      const off = j << 8;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < nb - 1; b++) {
        gl += hg[off + b]!;
        hl += hh[off + b]!;
        cl += hc[off + b]!;
        if (cl < minSamplesLeaf) continue;
        if (count - cl < minSamplesLeaf) break;
        const gr = G - gl;
        const hr = H - hl;
        const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parentScore;
        if (gain > bestGain) {
          bestGain = gain;
          bestFeature = j;
          bestBin = b;
        }
      }
    }
    if (bestFeature < 0) return id;

    // Stable partition keeps row order, hence summation order, the same on every run.
    const scratch = this.scratch;
    let w = start;
    let nr = 0;
    for (let k = start; k < end; k++) {
      const r = rows[k]!;
      if (bins[r * f + bestFeature]! <= bestBin) rows[w++] = r;
      else scratch[nr++] = r;
    }
    rows.set(scratch.subarray(0, nr), w);

    this.feature[id] = bestFeature;
    this.threshold[id] = this.thresholds[bestFeature]![bestBin]!;
    this.splitBins[id] = bestBin;
    this.value[id] = 0;
    let leftHist: Histogram | undefined;
    let rightHist: Histogram | undefined;
    if (depth + 1 < this.p.maxDepth) {
      // Only the smaller child is scanned; the other is the difference (halves the work below the root).
      if (w - start <= end - w) {
        leftHist = this.histogram(rows, start, w);
        rightHist = subtract(own, leftHist);
      } else {
        rightHist = this.histogram(rows, w, end);
        leftHist = subtract(own, rightHist);
      }
    }
    this.left[id] = this.grow(rows, start, w, depth + 1, leftHist);
    this.right[id] = this.grow(rows, w, end, depth + 1, rightHist);
    return id;
  }

  /** Gradient, hessian and row count per (feature, bin) over rows[start, end); feature j at offset j * 256. */
  private histogram(rows: Int32Array, start: number, end: number): Histogram {
    const { bins, grad, hess, f } = this;
    const hg = new Float64Array(f << 8);
    const hh = new Float64Array(f << 8);
    const hc = new Int32Array(f << 8);
    // Rows outer, features inner: each row's gradient is loaded once and its bins are contiguous.
    for (let k = start; k < end; k++) {
      const r = rows[k]!;
      const g = grad[r]!;
      const h = hess[r]!;
      const base = r * f;
      for (let j = 0; j < f; j++) {
        const b = (j << 8) + bins[base + j]!;
        hg[b]! += g;
        hh[b]! += h;
        hc[b]!++;
      }
    }
    return { grad: hg, hess: hh, count: hc };
  }

  toTree(): RegressionTree {
    return {
      feature: Int32Array.from(this.feature),
      threshold: Float64Array.from(this.threshold),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      value: Float64Array.from(this.value),
    };
  }

  private pushLeaf(G: number, H: number): void {
    this.feature.push(-1);
    this.threshold.push(0);
    this.left.push(-1);
    this.right.push(-1);
    this.value.push((-G / (H + this.p.l2)) * this.p.learningRate);
    this.splitBins.push(-1);
  }
}
