// Connectors by spec: `defineSource` and `defineSink` pair the declaration half a compiler checks (typed params,
// summary, example: pipeline/connectorSpec.ts) with how to open the port. A run gets what connectors need (a NATS
// connection, the recorder, where to print) through typed service tokens, so the runtime names no connector.
import type { CompiledPipeline, CompiledSource } from "../pipeline/graph.ts";
import type { ConnectorCatalog, SinkMeta, SourceMeta } from "../pipeline/connectorSpec.ts";
import type { Kind } from "../schemas/kinds.ts";
import type { InputPort, OutputPort, OutputStage, RunMode } from "./ports.ts";
import type { BoundOutput } from "./runDriver.ts";

/** Names a service a connector needs from the run, with its type. */
export interface ServiceToken<T> {
  readonly name: string;
  /** Never set: carries the service's type. */
  readonly type?: T;
}

export const serviceToken = <T>(name: string): ServiceToken<T> => ({ name });

/** The services a run offers its connectors. */
export class Services {
  private readonly values = new Map<string, unknown>();

  provide<T>(token: ServiceToken<T>, value: T): this {
    this.values.set(token.name, value);
    return this;
  }

  has(token: ServiceToken<unknown>): boolean {
    return this.values.has(token.name);
  }

  /** The service; throws naming who needed it when the run does not offer it. */
  get<T>(token: ServiceToken<T>, neededBy: string): T {
    if (!this.values.has(token.name)) throw new Error(`${neededBy} needs ${token.name}, which this run does not provide`);
    return this.values.get(token.name) as T;
  }
}

export interface SinkContext {
  readonly runId: string;
  readonly pipeline: CompiledPipeline;
  readonly mode: RunMode;
  /** The node whose items the sink receives, and their kind. */
  readonly node: string;
  readonly kind: Kind;
  readonly services: Services;
}

export interface SinkSpec<P = unknown> extends SinkMeta<P> {
  readonly stage: OutputStage;
  create(params: P, ctx: SinkContext): OutputPort;
}

export interface SourceContext {
  readonly runId: string;
  readonly pipeline: CompiledPipeline;
  readonly services: Services;
}

export interface SourceSpec<P = unknown> extends SourceMeta<P> {
  /** The live input port of a pipeline whose sources all use this connector. */
  open(sources: readonly CompiledSource[], params: readonly P[], ctx: SourceContext): InputPort;
}

/**
 * Declares a sink type.
 * @example
 * export const consoleSink = defineSink({ type: "console", summary: "prints items", params: z.strictObject({}), example: "{ type: console, in: signals }", modes: ["live", "replay"], stage: "observe", create: (_p, ctx) => new ConsoleOutputSink(ctx.services.get(PRINT, "console sink")) });
 */
export function defineSink<P>(spec: SinkSpec<P>): SinkSpec {
  return spec as unknown as SinkSpec;
}

/** Declares a source connector (see defineSink). */
export function defineSource<P>(spec: SourceSpec<P>): SourceSpec {
  return spec as unknown as SourceSpec;
}

/** The connectors a run can open: the compiler's catalog plus how to open each. */
export interface Connectors extends ConnectorCatalog {
  readonly sources: readonly SourceSpec[];
  readonly sinks: readonly SinkSpec[];
}

/** One output port per declared sink that runs in `mode`, bound to its node. */
export function openOutputs(pipeline: CompiledPipeline, connectors: Connectors, mode: RunMode, runId: string, services: Services): BoundOutput[] {
  const out: BoundOutput[] = [];
  for (const s of pipeline.sinks) {
    const spec = connectors.sinks.find((x) => x.type === s.type);
    if (!spec) throw new Error(`pipeline ${pipeline.decl.name}: no connector for sink type "${s.type}"`);
    if (!spec.modes.includes(mode)) continue;
    out.push({ port: spec.create(s.params, { runId, pipeline, mode, node: s.input, kind: s.kind, services }), node: s.input });
  }
  return out;
}

/** The live input port: every source of the pipeline must use the same connector. */
export function openInput(pipeline: CompiledPipeline, connectors: Connectors, runId: string, services: Services): InputPort {
  const names = [...new Set(pipeline.sources.map((s) => s.connector))];
  if (names.length !== 1)
    throw new Error(
      `pipeline ${pipeline.decl.name}: its sources use the connectors ${names.join(", ")}; a live run reads all its sources through one connector`,
    );
  const spec = connectors.sources.find((x) => x.connector === names[0]);
  if (!spec) throw new Error(`pipeline ${pipeline.decl.name}: no connector "${names[0]}"`);
  return spec.open(
    pipeline.sources,
    pipeline.sources.map((s) => s.params),
    { runId, pipeline, services },
  );
}
