// The shape of a pipeline for the dashboard's graph view: sources and nodes in topological columns, and the edges
// between them. From a compiled pipeline (a live run) or from a declaration as the audit trail recorded it.
import type { CompiledPipeline } from "../pipeline/graph.ts";

export interface GraphNode {
  readonly name: string;
  readonly role: "source" | "node";
  /** Message kind it emits (sources: the kind they read), when known. */
  readonly kind?: string;
  /** The operator (nodes) or connector (sources). */
  readonly op?: string;
  /** 0 for sources, 1 + the deepest input for nodes. */
  readonly column: number;
  /** Whether a sink records or publishes it: only these nodes' outputs are counted by the run. */
  readonly output: boolean;
}

export interface PipelineGraph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
}

interface Shape {
  readonly sources: readonly { name: string; kind?: string; op?: string }[];
  readonly nodes: readonly { name: string; inputs: readonly string[]; kind?: string; op?: string }[];
  readonly outputs: ReadonlySet<string>;
}

function layout(s: Shape): PipelineGraph {
  const column = new Map<string, number>(s.sources.map((x) => [x.name, 0]));
  const byName = new Map(s.nodes.map((n) => [n.name, n]));
  const depth = (name: string, seen: Set<string>): number => {
    const known = column.get(name);
    if (known !== undefined) return known;
    const n = byName.get(name);
    if (!n || seen.has(name)) return 0; // an unknown name or a cycle (a declaration the compiler would refuse)
    seen.add(name);
    const d = 1 + Math.max(0, ...n.inputs.map((i) => depth(i, seen)));
    column.set(name, d);
    return d;
  };
  for (const n of s.nodes) depth(n.name, new Set());
  return {
    nodes: [
      ...s.sources.map((x) => ({ name: x.name, role: "source" as const, kind: x.kind, op: x.op, column: 0, output: false })),
      ...s.nodes.map((n) => ({ name: n.name, role: "node" as const, kind: n.kind, op: n.op, column: column.get(n.name) ?? 1, output: s.outputs.has(n.name) })),
    ],
    edges: s.nodes.flatMap((n) => n.inputs.map((from) => ({ from, to: n.name }))),
  };
}

export function graphOfPipeline(p: CompiledPipeline): PipelineGraph {
  return layout({
    sources: p.sources.map((s) => ({ name: s.name, kind: s.kind, op: s.connector })),
    nodes: p.nodes.map((n) => ({ name: n.name, inputs: n.inputs, kind: n.kind, op: n.op.name })),
    outputs: new Set(p.outputs),
  });
}

/**
 * From a declaration as recorded (YAML parsed to plain data: `sources`, `nodes` with `op` and `in`, `sinks` with
 * `in`); undefined when it does not have that shape.
 */
export function graphOfDeclaration(decl: unknown): PipelineGraph | undefined {
  const d = decl as {
    sources?: Record<string, { type?: string; connector?: string }>;
    nodes?: Record<string, { op?: string; in?: string | string[] }>;
    sinks?: { in?: string }[];
  };
  if (!d || typeof d !== "object" || typeof d.sources !== "object" || typeof d.nodes !== "object" || d.sources === null || d.nodes === null) return undefined;
  return layout({
    sources: Object.entries(d.sources).map(([name, s]) => ({ name, kind: s?.type, op: s?.connector })),
    nodes: Object.entries(d.nodes).map(([name, n]) => ({
      name,
      inputs: Array.isArray(n?.in) ? n.in.map(String) : n?.in !== undefined ? [String(n.in)] : [],
      op: n?.op,
    })),
    outputs: new Set((Array.isArray(d.sinks) ? d.sinks : []).map((s) => String(s?.in))),
  });
}

/** A graph of just the named nodes (a recorded run without its declaration): one column, no edges. */
export function graphOfNodes(nodes: readonly { name: string; kind: string }[]): PipelineGraph {
  return { nodes: nodes.map((n) => ({ name: n.name, role: "node" as const, kind: n.kind, column: 1, output: true })), edges: [] };
}
