// Compiles a validated declaration into a runnable graph: resolves names, checks every edge's kind,
// orders nodes topologically, and wires RxJS operators between per-source subjects and sink buffers.
import { Observable, Subject, share, type Subscription } from "rxjs";
import { WATERMARK_END, columnarChunk, type Chunk, type ItemColumns } from "../core/chunk.ts";
import { StateRegistry } from "../core/state.ts";
import { declarationError, firstIssue, type DeclarationSource, type PipelineDecl, zodIssueReason } from "./declaration.ts";
import { findOperator, OPERATORS, type OperatorContext, type OperatorDef } from "./catalog.ts";
import { IndicatorSpecError } from "./indicatorSpecs.ts";
import { StrategyRulesError } from "../trading/strategyRules.ts";
import type { z } from "zod";
import type { Kind, SourceKind } from "../schemas/kinds.ts";
import type { ConnectorCatalog } from "./connectorSpec.ts";

export interface CompiledSource {
  readonly name: string;
  readonly kind: SourceKind;
  /** The connector live inputs come through, and its checked parameters. */
  readonly connector: string;
  readonly params: unknown;
  /** The subjects its inputs are recorded under (replay reads them back by these filters). */
  readonly subjects: readonly string[];
  /** Position in the declaration: breaks event-time ties between sources. */
  readonly rank: number;
}

export interface CompiledNode {
  readonly name: string;
  readonly op: OperatorDef<unknown>;
  readonly params: unknown;
  readonly inputs: readonly string[];
  readonly kind: Kind;
}

export interface CompiledSink {
  readonly type: string;
  readonly input: string;
  readonly kind: Kind;
  /** The sink's checked parameters. */
  readonly params: unknown;
}

/** A pipeline whose names, kinds and parameters are all checked. Instantiate it once per run. */
export interface CompiledPipeline {
  readonly decl: PipelineDecl;
  readonly sources: readonly CompiledSource[];
  readonly nodes: readonly CompiledNode[];
  readonly sinks: readonly CompiledSink[];
  /** Node names whose outputs some sink consumes, in declaration order. */
  readonly outputs: readonly string[];
  kindOf(name: string): Kind;
}

/** Parses `params` with a spec's schema; a failure points at the offending key under `at`. */
function checkParams<P>(src: DeclarationSource, at: readonly (string | number)[], schema: z.ZodType<P>, params: unknown, what: string, example: string): P {
  const parsed = schema.safeParse(params);
  if (parsed.success) return parsed.data;
  const issue = firstIssue(parsed.error.issues);
  const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
  const extra = issue.code === "unrecognized_keys" ? [issue.keys[0]!] : [];
  throw declarationError(src, [...at, ...path, ...extra], `${zodIssueReason(issue)} (${what}; example: ${example})`, { key: extra.length > 0 });
}

/**
 * Checks and wires a declaration. `userOperators` are operators loaded from modules the declaration names by path
 * (app/userOperators.ts), keyed by the `op:` value as written.
 */
export function compilePipeline(
  decl: PipelineDecl,
  src: DeclarationSource,
  connectors: ConnectorCatalog,
  userOperators: ReadonlyMap<string, OperatorDef<unknown>> = new Map(),
): CompiledPipeline {
  const kinds = new Map<string, Kind>();
  const sources: CompiledSource[] = Object.entries(decl.sources).map(([name, s], rank) => {
    kinds.set(name, s.type);
    const spec = connectors.sources.find((c) => c.connector === s.connector);
    if (!spec)
      throw declarationError(
        src,
        ["sources", name, "connector"],
        `unknown connector "${s.connector}"; known connectors: ${connectors.sources.map((c) => c.connector).join(", ")}`,
      );
    if (!spec.kinds.includes(s.type))
      throw declarationError(src, ["sources", name, "type"], `connector ${spec.connector} gives ${spec.kinds.join(", ")} messages, not ${s.type}`);
    if (s.subjects && s.connector !== "jetstream")
      throw declarationError(
        src,
        ["sources", name, "subjects"],
        `"subjects" belongs to the jetstream connector; connector ${s.connector} takes params (example: ${spec.example})`,
        { key: true },
      );
    if (s.subjects && "subjects" in s.params)
      throw declarationError(src, ["sources", name, "params", "subjects"], `subjects given twice (at the source and in params)`, { key: true });
    const raw = s.subjects ? { ...s.params, subjects: s.subjects } : s.params;
    const params = checkParams(src, ["sources", name, "params"], spec.params, raw, `connector ${spec.connector}`, spec.example);
    return { name, kind: s.type, connector: spec.connector, params, subjects: spec.subjects(params, s.type), rank };
  });
  const connectorNames = [...new Set(sources.map((s) => s.connector))];
  if (connectorNames.length > 1) {
    const second = sources.find((s) => s.connector !== sources[0]!.connector)!;
    throw declarationError(
      src,
      ["sources", second.name, "connector"],
      `a pipeline reads all its sources through one connector; "${sources[0]!.name}" uses ${sources[0]!.connector}, "${second.name}" ${second.connector}`,
    );
  }

  // Resolve operators and parameters first, so errors come in file order.
  const pending = new Map<string, { op: OperatorDef<unknown>; params: unknown; inputs: string[] }>();
  for (const [name, n] of Object.entries(decl.nodes)) {
    if (kinds.has(name)) throw declarationError(src, ["nodes", name], `"${name}" is already the name of a source`, { key: true });
    const op = userOperators.get(n.op) ?? findOperator(n.op);
    if (!op)
      throw declarationError(
        src,
        ["nodes", name, "op"],
        `unknown operator "${n.op}"; known operators: ${OPERATORS.map((o) => o.name).join(", ")} (or a module path such as ./operators-local/myRule.ts)`,
      );
    const inputs = Array.isArray(n.in) ? n.in : [n.in];
    if (inputs.length !== op.inputs.length) {
      throw declarationError(
        src,
        ["nodes", name, "in"],
        `operator ${op.name} takes ${op.inputs.length} input(s) (${op.inputs.map((i) => `${i.name}: ${i.kind}`).join(", ")}), got ${inputs.length}`,
      );
    }
    const parsed = op.params.safeParse(n.params);
    if (!parsed.success) {
      const issue = firstIssue(parsed.error.issues);
      const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
      const extra = issue.code === "unrecognized_keys" ? [issue.keys[0]!] : [];
      throw declarationError(src, ["nodes", name, "params", ...path, ...extra], `${zodIssueReason(issue)} (operator ${op.name}; example: ${op.example})`, {
        key: extra.length > 0,
      });
    }
    try {
      op.build(parsed.data, { pipeline: decl.name, node: name, deadLetter: () => undefined }); // validates nested specs
    } catch (e) {
      if (e instanceof IndicatorSpecError) throw declarationError(src, ["nodes", name, ...e.path], e.message);
      if (e instanceof StrategyRulesError) throw declarationError(src, ["nodes", name, "params", "strategy", ...e.segments], e.reason);
      throw declarationError(src, ["nodes", name, "params"], (e as Error).message);
    }
    pending.set(name, { op, params: parsed.data, inputs });
  }

  // Topological order; unknown inputs and cycles are errors.
  const nodes: CompiledNode[] = [];
  const visiting = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    if (kinds.has(name)) return;
    const p = pending.get(name)!;
    if (visiting.has(name)) throw declarationError(src, ["nodes", name, "in"], `cycle: ${[...trail, name].join(" → ")}`);
    visiting.add(name);
    p.inputs.forEach((input, i) => {
      if (!kinds.has(input) && !pending.has(input)) {
        throw declarationError(
          src,
          ["nodes", name, "in", ...(p.inputs.length > 1 ? [i] : [])],
          `unknown input "${input}"; sources and nodes are: ${[...new Set([...kinds.keys(), ...pending.keys()])].join(", ")}`,
        );
      }
      visit(input, [...trail, name]);
      const want = p.op.inputs[i]!.kind;
      const got = kinds.get(input)!;
      if (got !== want) {
        throw declarationError(
          src,
          ["nodes", name, "in", ...(p.inputs.length > 1 ? [i] : [])],
          `operator ${p.op.name} expects ${want} items as input ${i + 1} (${p.op.inputs[i]!.name}), but "${input}" gives ${got} items`,
        );
      }
    });
    visiting.delete(name);
    if (!kinds.has(name)) {
      checkReads(name, p);
      kinds.set(name, p.op.output);
      nodes.push({ name, op: p.op, params: p.params, inputs: p.inputs, kind: p.op.output });
    }
  };
  // What each node's feature rows carry (undefined: not known), so a rule naming a value nothing produces is refused.
  const fields = new Map<string, readonly string[] | undefined>();
  const checkReads = (name: string, p: { op: OperatorDef<unknown>; params: unknown; inputs: string[] }): void => {
    const upstream = p.inputs.map((input, i) => (p.op.inputs[i]!.kind === "features" ? fields.get(input) : undefined));
    fields.set(name, p.op.output === "features" ? p.op.fields?.(p.params, upstream) : undefined);
    if (!p.op.reads) return;
    const featureInputs = p.inputs.filter((_, i) => p.op.inputs[i]!.kind === "features");
    if (featureInputs.length === 0 || featureInputs.some((input) => fields.get(input) === undefined)) return;
    const available = new Set(featureInputs.flatMap((input) => fields.get(input)!));
    if (p.op.inputs.some((i) => i.kind === "bar")) for (const f of ["open", "high", "low", "close", "volume"]) available.add(f);
    for (const r of p.op.reads(p.params)) {
      if (available.has(r.name)) continue;
      throw declarationError(
        src,
        ["nodes", name, "params", ...r.path],
        `"${r.name}" is produced by no upstream node (${featureInputs.join(", ")}), so a rule on it would never fire; available: ${[...available].sort().join(", ")}`,
      );
    }
  };
  for (const name of pending.keys()) visit(name, []);

  const sinks: CompiledSink[] = decl.sinks.map((s, i) => {
    const spec = connectors.sinks.find((c) => c.type === s.type);
    if (!spec)
      throw declarationError(src, ["sinks", i, "type"], `unknown sink type "${s.type}"; known sink types: ${connectors.sinks.map((c) => c.type).join(", ")}`);
    const kind = kinds.get(s.in);
    if (!kind) throw declarationError(src, ["sinks", i, "in"], `unknown input "${s.in}"; sources and nodes are: ${[...kinds.keys()].join(", ")}`);
    if (spec.accepts && !spec.accepts.includes(kind)) {
      throw declarationError(
        src,
        ["sinks", i, "type"],
        `a ${spec.type} sink takes ${spec.accepts.join(", ")} items; "${s.in}" gives ${kind} items${spec.type === "nats" ? " (record them with a duckdb sink instead)" : ""}`,
      );
    }
    const params = checkParams(src, ["sinks", i, "params"], spec.params, s.params, `sink ${spec.type}`, spec.example);
    return { type: s.type, input: s.in, kind, params };
  });
  const outputs = [...new Set(sinks.map((s) => s.input))];
  return { decl, sources, nodes, sinks, outputs, kindOf: (n) => kinds.get(n)! };
}

/** Where an instance sends what operators reject. */
export type DeadLetterHandler = (node: string, item: unknown, reason: string, field?: string) => void;

/**
 * One running instance of a compiled pipeline: fresh operator state, fed synchronously.
 * `push` drives every operator to completion before returning; outputs collect per output node.
 */
export class PipelineInstance {
  private readonly subjects = new Map<string, Subject<Chunk<unknown>>>();
  private readonly sourceWatermark = new Map<string, bigint>();
  private readonly buffers = new Map<string, unknown[]>();
  private readonly subscriptions: Subscription[] = [];
  private failure: unknown;
  /** The operators' state cells, registered while the graph subscribed (core/state.ts). */
  readonly state = new StateRegistry();

  constructor(
    readonly pipeline: CompiledPipeline,
    onDeadLetter: DeadLetterHandler,
  ) {
    const streams = new Map<string, Observable<Chunk<unknown>>>();
    for (const s of pipeline.sources) {
      const subject = new Subject<Chunk<unknown>>();
      this.subjects.set(s.name, subject);
      this.sourceWatermark.set(s.name, -(2n ** 63n));
      streams.set(s.name, subject);
    }
    for (const n of pipeline.nodes) {
      const ctx: OperatorContext = {
        pipeline: pipeline.decl.name,
        node: n.name,
        deadLetter: (item, reason, field) => onDeadLetter(n.name, item, reason, field),
      };
      const build = n.op.build(n.params, ctx);
      const built = build(n.inputs.map((i) => streams.get(i)!));
      // The node's operators register their state under its name as they subscribe.
      const scoped = new Observable<Chunk<unknown>>((subscriber) => this.state.within(n.name, () => built.subscribe(subscriber)));
      streams.set(n.name, scoped.pipe(share()));
    }
    for (const out of pipeline.outputs) {
      const buf: unknown[] = [];
      this.buffers.set(out, buf);
      this.subscriptions.push(
        streams.get(out)!.subscribe({
          next: (c) => {
            for (const x of c.items) buf.push(x);
          },
          error: (e) => {
            this.failure = e;
          },
        }),
      );
    }
  }

  /** Feeds items of one source (in event-time order) and that source's new watermark. */
  push(source: string, items: readonly unknown[], watermark: bigint): void {
    this.feed(source, watermark, (w) => ({ items, watermark: w }));
  }

  /** Feeds items of one source held as columns (core/chunk.ts ItemColumns), as `push` feeds their rows. */
  pushColumns(source: string, columns: ItemColumns<unknown>, watermark: bigint): void {
    this.feed(source, watermark, (w) => columnarChunk(columns, w));
  }

  private feed(source: string, watermark: bigint, chunk: (w: bigint) => Chunk<unknown>): void {
    const subject = this.subjects.get(source);
    if (!subject) throw new Error(`pipeline ${this.pipeline.decl.name} has no source "${source}"`);
    const prev = this.sourceWatermark.get(source)!;
    const w = watermark > prev ? watermark : prev;
    this.sourceWatermark.set(source, w);
    subject.next(chunk(w));
    this.throwIfFailed();
  }

  /** Each source's watermark (for a checkpoint). */
  sourceWatermarks(): Record<string, bigint> {
    return Object.fromEntries(this.sourceWatermark);
  }

  restoreSourceWatermarks(w: Record<string, bigint>): void {
    for (const name of this.sourceWatermark.keys()) if (w[name] !== undefined) this.sourceWatermark.set(name, w[name]!);
  }

  /** Advances every source's watermark to at least `watermark` (sources with nothing new get an empty chunk). */
  advance(watermark: bigint): void {
    for (const [name, w] of this.sourceWatermark) if (w < watermark) this.push(name, [], watermark);
  }

  /** Ends the input: flushes everything that waits on watermarks and completes the graph. */
  finish(): void {
    this.advance(WATERMARK_END);
    for (const s of this.subjects.values()) s.complete();
    this.throwIfFailed();
  }

  /** Takes the outputs collected since the last call, per output node, in emission order. */
  takeOutputs(): Map<string, unknown[]> {
    const out = new Map<string, unknown[]>();
    for (const [name, buf] of this.buffers) {
      out.set(name, buf.splice(0, buf.length));
    }
    return out;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }

  /** An operator that errored has ended its stream: the instance stays failed (later pushes would do nothing). */
  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
