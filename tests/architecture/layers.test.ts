// The layer rule: which top-level folder may import which, and which folders reach no I/O even transitively.
// dependency-cruiser needs the TypeScript compiler API, which TypeScript 7 no longer ships; the import graph of
// this code base is simple enough (static `import … from "…"` and `import("…")`) to read here directly.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * Allowed imports per layer, bottom to top. A folder may import itself and the folders listed for it.
 * core ← schemas ← trading, models ← operators ← pipeline ← runtime ← io ← connectors (sources, sinks, replay) ← ops ← app ← cli
 */
export const LAYERS: Record<string, readonly string[]> = {
  core: [],
  schemas: ["core"],
  trading: ["core", "schemas"],
  models: ["core", "schemas", "trading"],
  operators: ["core", "schemas", "trading", "models"],
  pipeline: ["core", "schemas", "trading", "models", "operators"],
  runtime: ["core", "schemas", "trading", "models", "operators", "pipeline"],
  io: ["core", "schemas"],
  sources: ["core", "schemas", "trading", "models", "operators", "pipeline", "runtime", "io", "sinks"],
  sinks: ["core", "schemas", "trading", "models", "operators", "pipeline", "runtime", "io"],
  replay: ["core", "schemas", "trading", "models", "operators", "pipeline", "runtime", "io", "sinks", "sources"],
  ops: ["core", "schemas", "pipeline", "runtime", "io"],
  app: ["core", "schemas", "trading", "models", "operators", "pipeline", "runtime", "io", "sources", "sinks", "replay", "ops"],
  cli: ["core", "schemas", "trading", "models", "operators", "pipeline", "runtime", "io", "sources", "sinks", "replay", "ops", "app"],
};

/** Folders whose code must reach no I/O module, directly or through anything it imports (type-only imports aside). */
const PURE = ["core", "schemas", "trading", "operators", "runtime"];

/** Known exceptions, each with the reason; the test fails when one is no longer needed. */
export const IO_EXCEPTIONS: Record<string, string> = {};

/** Modules that do I/O: files, sockets, processes, servers, native runtimes. */
const IO_MODULE =
  /^(node:)?(fs|fs\/promises|net|http|https|http2|dgram|tls|child_process|cluster|worker_threads|readline)$|^@nats-io\/|^@duckdb\/|^onnxruntime-node$|^ws$|^playwright-core$/;

interface Edge {
  readonly to: string;
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?([^"';]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;

/** The import edges of one file: relative ones resolved to repository paths, packages by name. */
export function importsOf(file: string): Edge[] {
  const text = readFileSync(file, "utf8");
  const edges: Edge[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[4] ?? m[5]!;
    const typeOnly = m[2] !== undefined || /^\s*\{\s*(type\s+[^,}]+\s*,?\s*)+\}\s*from\s+$/.test(m[3] ?? "");
    edges.push({ to: spec.startsWith(".") ? relative(ROOT, resolve(dirname(file), spec)) : spec, typeOnly });
  }
  return edges;
}

const layerOf = (path: string): string => path.split("/")[0]!;

const graph = new Map<string, Edge[]>();
for (const layer of Object.keys(LAYERS)) {
  for (const f of sourceFiles(join(ROOT, layer))) graph.set(relative(ROOT, f), importsOf(f));
}

/** A chain of value imports from `file` to an I/O module, or undefined. */
function ioChain(file: string, seen = new Set<string>()): string[] | undefined {
  if (seen.has(file)) return undefined;
  seen.add(file);
  for (const e of graph.get(file) ?? []) {
    if (e.typeOnly) continue;
    if (IO_MODULE.test(e.to)) return [file, e.to];
    if (graph.has(e.to)) {
      const rest = ioChain(e.to, seen);
      if (rest) return [file, ...rest];
    }
  }
  return undefined;
}

describe("layers", () => {
  it("every source folder is a known layer", () => {
    const top = readdirSync(ROOT).filter((n) => !n.startsWith(".") && statSync(join(ROOT, n)).isDirectory());
    const notLayers = ["node_modules", "tests", "bench", "bin", "docs", "pipelines", "data", "dist", "deploy", "examples", "models-local"];
    const unknown = top.filter((n) => !(n in LAYERS) && !notLayers.includes(n) && sourceFiles(join(ROOT, n)).length > 0);
    expect(unknown, "add the folder to LAYERS in tests/architecture/layers.test.ts").toEqual([]);
  });

  it("each folder imports only the layers below it", () => {
    const violations: string[] = [];
    for (const [file, edges] of graph) {
      const from = layerOf(file);
      for (const e of edges) {
        if (!graph.has(e.to) && !e.to.includes("/")) continue; // a package
        if (!e.to.startsWith(".") && !graph.has(e.to)) continue;
        const to = layerOf(e.to);
        if (to !== from && !LAYERS[from]!.includes(to))
          violations.push(`${file} imports ${e.to} (${from} may import ${LAYERS[from]!.join(", ") || "nothing"})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it(`${PURE.join(", ")} reach no I/O module, even through what they import`, () => {
    const chains: string[] = [];
    for (const file of graph.keys()) {
      if (!PURE.includes(layerOf(file))) continue;
      const chain = ioChain(file);
      if (chain) chains.push(chain.join(" → "));
    }
    expect(chains).toEqual([]);
  });

  it("the rule catches an operator that imports an I/O module", () => {
    graph.set("operators/__probe.ts", [
      { to: "core/chunk.ts", typeOnly: false },
      { to: "node:fs", typeOnly: false },
    ]);
    graph.set("operators/__probe2.ts", [{ to: "operators/__probe.ts", typeOnly: false }]);
    try {
      expect(ioChain("operators/__probe2.ts")).toEqual(["operators/__probe2.ts", "operators/__probe.ts", "node:fs"]);
    } finally {
      graph.delete("operators/__probe.ts");
      graph.delete("operators/__probe2.ts");
    }
  });
});
