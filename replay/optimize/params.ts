// Optimiser parameters: `--param PATH=SPEC` parsed into value lists, the variants (grid or seeded random sample) and
// the declaration of each variant (the base declaration with its overrides applied). Pure: no I/O, no clock.
import { TickflowError } from "../../core/errors.ts";
import type { PipelineDecl } from "../../pipeline/declaration.ts";

/** One swept parameter: a path into a node's params and the values it takes. */
export interface ParamSpec {
  /** As written: `<node>.<path into params>`, e.g. `indicators.set.0.period`. */
  readonly path: string;
  readonly values: readonly (number | string | boolean)[];
}

/** A bad `--param`, `--constraint` or override: names what and where. */
export class OptimizeParamError extends TickflowError {
  static override readonly code = "OPTIMIZE_PARAM_INVALID";
  override readonly name = "OptimizeParamError";
}

const scalar = (s: string): number | string | boolean => {
  const t = s.trim();
  if (t === "true" || t === "false") return t === "true";
  const n = Number(t);
  return t !== "" && Number.isFinite(n) ? n : t;
};

/**
 * Parses `PATH=SPEC`: SPEC is a range `lo..hi:step` (inclusive, numbers) or a comma list.
 * @example parseParam("indicators.set.0.period=5..20:5") // { path: "indicators.set.0.period", values: [5, 10, 15, 20] }
 */
export function parseParam(text: string): ParamSpec {
  const eq = text.indexOf("=");
  if (eq <= 0)
    throw new OptimizeParamError(
      `--param ${JSON.stringify(text)}: expected PATH=SPEC, e.g. indicators.set.0.period=5..50:5 or broker.strategy.sizing.percent=25,50,100`,
    );
  const path = text.slice(0, eq).trim();
  const spec = text.slice(eq + 1).trim();
  const range = /^(-?[\d.]+)\.\.(-?[\d.]+)(?::([\d.]+))?$/.exec(spec);
  if (range) {
    const lo = Number(range[1]);
    const hi = Number(range[2]);
    const step = range[3] === undefined ? 1 : Number(range[3]);
    if (![lo, hi, step].every(Number.isFinite) || step <= 0 || hi < lo)
      throw new OptimizeParamError(`--param ${path}: range ${spec} needs lo <= hi and a step > 0 (e.g. 5..50:5)`);
    const values: number[] = [];
    // Counted, not accumulated, so 0.1 steps do not drift.
    const n = Math.floor((hi - lo) / step + 1e-9);
    for (let i = 0; i <= n; i++) values.push(Number((lo + i * step).toPrecision(12)));
    return { path, values };
  }
  const values = spec.split(",").map(scalar);
  if (values.length === 0 || values.some((v) => v === "")) throw new OptimizeParamError(`--param ${path}: empty value in ${JSON.stringify(spec)}`);
  return { path, values };
}

const segments = (path: string): string[] => path.split(".").filter((s) => s.length > 0);

/**
 * The declaration with `value` set at `path` (`<node>.<keys or indices into params>`); a path that does not exist
 * in the base declaration is an error (a sweep never adds keys: a typo would otherwise sweep nothing).
 */
export function withOverride(decl: PipelineDecl, path: string, value: unknown): PipelineDecl {
  const [node, ...rest] = segments(path);
  const n = node === undefined ? undefined : decl.nodes[node];
  if (!n) throw new OptimizeParamError(`--param ${path}: no node "${node}" in pipeline ${decl.name} (nodes: ${Object.keys(decl.nodes).join(", ")})`);
  if (rest.length === 0) throw new OptimizeParamError(`--param ${path}: give a path into the node's params, e.g. ${node}.period`);
  const set = (at: unknown, keys: string[], done: string[]): unknown => {
    const [k, ...more] = keys as [string, ...string[]];
    const here = [node, ...done, k].join(".");
    if (Array.isArray(at)) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || i >= at.length)
        throw new OptimizeParamError(`--param ${path}: ${here} is no index of a list of ${at.length} (0..${at.length - 1})`);
      const copy = [...at];
      copy[i] = more.length ? set(at[i], more, [...done, k]) : value;
      return copy;
    }
    if (at !== null && typeof at === "object") {
      if (!Object.hasOwn(at, k)) throw new OptimizeParamError(`--param ${path}: ${here} does not exist (keys there: ${Object.keys(at).join(", ") || "none"})`);
      return { ...at, [k]: more.length ? set((at as Record<string, unknown>)[k], more, [...done, k]) : value };
    }
    throw new OptimizeParamError(`--param ${path}: ${[node, ...done].join(".")} is a value (${JSON.stringify(at)}), not an object or list`);
  };
  return { ...decl, nodes: { ...decl.nodes, [node!]: { ...n, params: set(n.params, rest, []) as Record<string, unknown> } } };
}

/** A variant: one value per parameter, in the order the parameters were given. */
export type Variant = readonly (number | string | boolean)[];

export function variantDecl(decl: PipelineDecl, params: readonly ParamSpec[], v: Variant): PipelineDecl {
  return params.reduce((d, p, i) => withOverride(d, p.path, v[i]), decl);
}

/** `fast=5, slow=30` style label. */
export function variantLabel(params: readonly ParamSpec[], v: Variant): string {
  return params.map((p, i) => `${p.path}=${v[i]}`).join(" ");
}

/** A comparison between two parameters (by path or `p1`, `p2`, ... in order) or a parameter and a number. */
export type Constraint = (v: Variant) => boolean;

export function parseConstraint(text: string, params: readonly ParamSpec[]): Constraint {
  const m = /^\s*(\S+)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$/.exec(text);
  if (!m) throw new OptimizeParamError(`--constraint ${JSON.stringify(text)}: expected A OP B with OP one of < <= > >= == != (e.g. "p1 < p2")`);
  const operand = (s: string): ((v: Variant) => number | string | boolean) => {
    const byIndex = /^p(\d+)$/.exec(s);
    const i = byIndex ? Number(byIndex[1]) - 1 : params.findIndex((p) => p.path === s);
    if (i >= 0 && i < params.length) return (v) => v[i]!;
    const n = Number(s);
    if (Number.isFinite(n)) return () => n;
    throw new OptimizeParamError(
      `--constraint ${JSON.stringify(text)}: ${s} is neither a swept parameter (${params.map((p, k) => `p${k + 1}=${p.path}`).join(", ")}) nor a number`,
    );
  };
  const a = operand(m[1]!);
  const b = operand(m[3]!);
  const op = m[2]!;
  return (v) => {
    const x = a(v);
    const y = b(v);
    switch (op) {
      case "<":
        return x < y;
      case "<=":
        return x <= y;
      case ">":
        return x > y;
      case ">=":
        return x >= y;
      case "==":
        return x === y;
      default:
        return x !== y;
    }
  };
}

/** Every combination, the first parameter varying slowest. */
export function gridVariants(params: readonly ParamSpec[], constraints: readonly Constraint[] = []): Variant[] {
  let out: Variant[] = [[]];
  for (const p of params) out = out.flatMap((v) => p.values.map((x) => [...v, x]));
  return out.filter((v) => constraints.every((c) => c(v)));
}

/** mulberry32: a small seeded generator, so a sample is a function of its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `samples` distinct grid points drawn with the seed (all of them if the grid is smaller), in grid order. */
export function randomVariants(params: readonly ParamSpec[], samples: number, seed: number, constraints: readonly Constraint[] = []): Variant[] {
  const all = gridVariants(params, constraints);
  if (samples >= all.length) return all;
  const rnd = seededRandom(seed);
  // Partial Fisher-Yates over the indices.
  const idx = all.map((_, i) => i);
  for (let i = 0; i < samples; i++) {
    const j = i + Math.floor(rnd() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, samples)
    .sort((a, b) => a - b)
    .map((i) => all[i]!);
}
