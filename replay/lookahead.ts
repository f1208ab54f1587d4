// `tickflow check lookahead`: replays prefixes of the recording cut at several event times t and checks that no
// output with tsEvent <= t differs from the full replay's. An operator that used data from after t to produce an
// output stamped <= t (a peek at the next bar, a centred window, a fill at a price not yet known) shows up here,
// named by node, output id and field. One full replay, then one replay per cut, each only as long as its prefix.
import type { Database } from "../io/duckdb/database.ts";
import type { CompiledPipeline } from "../pipeline/graph.ts";
import { KINDS, type Kind } from "../schemas/kinds.ts";
import { RunDriver } from "../runtime/runDriver.ts";
import { CollectingOutput } from "../runtime/memoryInput.ts";
import { barId } from "../schemas/bar.ts";
import { nsToIso } from "../schemas/time.ts";
import { innerOf } from "../schemas/brokerEvent.ts";
import type { BrokerEvent } from "../schemas/brokerEvent.ts";
import type { ReplayRange } from "./replayReader.ts";
import { RecordingInput } from "./recordingInput.ts";

export interface LookaheadOptions {
  readonly pipeline: CompiledPipeline;
  readonly db: Database;
  /** Number of cut points, at evenly spaced input counts. Default 5. */
  readonly cuts?: number;
  readonly range?: ReplayRange;
  readonly batchSize?: number;
  /** Called after each replay (the full one is number 1). */
  readonly onReplay?: (done: number, total: number, cutNs?: bigint) => void;
}

export interface LookaheadDifference {
  readonly cutNs: bigint;
  readonly node: string;
  readonly kind: Kind;
  /** Position among the node's outputs with tsEvent <= cut. */
  readonly index: number;
  readonly id: string;
  readonly tsEvent: bigint;
  /** Dotted path of the first differing field; "(missing)" / "(extra)" when the output exists in one run only. */
  readonly field: string;
  readonly full: unknown;
  readonly prefix: unknown;
}

export interface LookaheadReport {
  readonly pipeline: string;
  readonly cuts: readonly bigint[];
  readonly replays: number;
  readonly inputs: number;
  readonly nodes: readonly string[];
  /** Outputs at or before a cut compared across all cuts. */
  readonly compared: number;
  /** Outputs without a tsEvent (cannot be placed in time; not compared). */
  readonly untimed: number;
  readonly difference?: LookaheadDifference;
}

interface Timed {
  readonly tsEvent: bigint;
}

/** The same pipeline with every node an output, so a leak is caught (and named) where it starts. */
function everyNodeAnOutput(p: CompiledPipeline): CompiledPipeline {
  return { ...p, outputs: p.nodes.map((n) => n.name) };
}

async function replayInto(
  p: CompiledPipeline,
  db: Database,
  range: ReplayRange,
  batchSize: number | undefined,
  onInput?: (ts: bigint) => void,
): Promise<CollectingOutput> {
  const sink = new CollectingOutput("lookahead");
  const driver = new RunDriver({
    pipeline: p,
    runId: "lookahead",
    mode: "check",
    input: new RecordingInput(db, p.sources, range, batchSize),
    outputs: p.outputs.map((node) => ({ port: sink, node })),
    onCommitted: onInput
      ? (b) => {
          for (const x of b.items) onInput(x.tsEvent);
        }
      : undefined,
  });
  await driver.execute();
  return sink;
}

const tsOf = (x: unknown): bigint | undefined => {
  const t = (x as Partial<Timed> | undefined)?.tsEvent;
  return typeof t === "bigint" ? t : undefined;
};
/** Event time of an output; a broker event carries it on its inner message. */
const timeOf = (kind: Kind, x: unknown): bigint | undefined => tsOf(kind === "brokerEvent" ? innerOf(x as BrokerEvent) : x);

/** A readable id for an output: its own id, a bar's key, a broker event's inner id, else symbol@time. */
export function outputRef(kind: Kind, item: unknown): string {
  if (kind === "bar") return barId(item as never);
  const inner = kind === "brokerEvent" ? innerOf(item as BrokerEvent) : (item as { id?: unknown; symbol?: unknown; account?: unknown; tsEvent?: unknown });
  if (typeof inner.id === "string") return inner.id;
  return `${String(inner.symbol ?? inner.account ?? "?")}@${nsToIso(tsOf(inner) ?? 0n)}`;
}

/** First differing field between two wire objects (broker-event payloads compared as JSON). */
export function firstDifference(a: unknown, b: unknown, path = ""): { field: string; full: unknown; prefix: unknown } | undefined {
  if (a === b) return undefined;
  if (path.endsWith("payload") && typeof a === "string" && typeof b === "string") return firstDifference(JSON.parse(a), JSON.parse(b), path);
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) === !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return undefined;
  }
  return { field: path || "(value)", full: a, prefix: b };
}

/** Evenly spaced input event times (by input count), excluding the last time (that cut is the full run). */
export function cutTimes(inputTimes: readonly bigint[], n: number): bigint[] {
  if (inputTimes.length === 0) return [];
  const last = inputTimes[inputTimes.length - 1]!;
  const out = new Set<bigint>();
  for (let k = 1; k <= n; k++) {
    const t = inputTimes[Math.min(inputTimes.length - 1, Math.floor((k * inputTimes.length) / (n + 1)))]!;
    if (t < last) out.add(t);
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export async function checkLookahead(o: LookaheadOptions): Promise<LookaheadReport> {
  const p = everyNodeAnOutput(o.pipeline);
  const range = o.range ?? {};
  const times: bigint[] = [];
  const full = await replayInto(p, o.db, range, o.batchSize, (t) => times.push(t));
  const cuts = cutTimes(times, o.cuts ?? 5);
  const total = 1 + cuts.length;
  o.onReplay?.(1, total);
  const kindOf = new Map(p.nodes.map((n) => [n.name, n.kind]));
  let compared = 0;
  let untimed = 0;
  for (const [node, nodeItems] of full.byNode) for (const x of nodeItems) if (timeOf(kindOf.get(node)!, x) === undefined) untimed++;
  let replays = 1;
  for (const cut of cuts) {
    // Inputs with tsEvent <= cut (the range end is exclusive).
    const prefix = await replayInto(p, o.db, { ...range, toNs: cut + 1n }, o.batchSize);
    replays++;
    o.onReplay?.(replays, total, cut);
    let first: LookaheadDifference | undefined;
    for (const node of p.outputs) {
      const kind = kindOf.get(node)!;
      const type = KINDS[kind];
      const upTo = (xs: readonly unknown[] | undefined) =>
        (xs ?? []).filter((x) => {
          const t = timeOf(kind, x);
          return t !== undefined && t <= cut;
        });
      const a = upTo(full.byNode.get(node));
      const b = upTo(prefix.byNode.get(node));
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) {
        const x = a[i];
        const y = b[i];
        let d: LookaheadDifference | undefined;
        if (x === undefined || y === undefined) {
          const item = (x ?? y)!;
          d = {
            cutNs: cut,
            node,
            kind,
            index: i,
            id: outputRef(kind, item),
            tsEvent: timeOf(kind, item)!,
            field: x === undefined ? "(extra)" : "(missing)",
            full: x === undefined ? undefined : type.encode(x as never),
            prefix: y === undefined ? undefined : type.encode(y as never),
          };
        } else {
          compared++;
          const ex = type.encode(x as never);
          const ey = type.encode(y as never);
          const diff = firstDifference(ex, ey);
          if (diff) d = { cutNs: cut, node, kind, index: i, id: outputRef(kind, x), tsEvent: timeOf(kind, x)!, ...diff };
        }
        if (d) {
          // The earliest difference in event time; at equal times the upstream node (p.outputs is topological).
          if (!first || d.tsEvent < first.tsEvent) first = d;
          break;
        }
      }
    }
    if (first) return { pipeline: p.decl.name, cuts, replays, inputs: times.length, nodes: p.outputs, compared, untimed, difference: first };
  }
  return { pipeline: p.decl.name, cuts, replays, inputs: times.length, nodes: p.outputs, compared, untimed };
}

const show = (v: unknown): string => (v === undefined ? "nothing" : JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x)));

/** One paragraph a person can act on. */
export function formatLookahead(r: LookaheadReport): string {
  const cuts = r.cuts.map((c) => nsToIso(c).slice(0, 19)).join(", ");
  const head = `lookahead check of ${r.pipeline}: ${r.inputs} inputs, ${r.cuts.length} cuts (${cuts}), ${r.replays} replays, ${r.nodes.length} nodes (${r.nodes.join(", ")})`;
  const d = r.difference;
  if (!d)
    return `${head}\nOK: ${r.compared} outputs at or before a cut are identical with and without the data after it${r.untimed ? ` (${r.untimed} untimed outputs not compared)` : ""}`;
  const what =
    d.field === "(missing)"
      ? `exists in the full replay but not when data after the cut is removed: ${show(d.full)}`
      : d.field === "(extra)"
        ? `exists only when data after the cut is removed: ${show(d.prefix)}`
        : `field "${d.field}" is ${show(d.full)} in the full replay but ${show(d.prefix)} when data after the cut is removed`;
  return `${head}\nLOOKAHEAD: node "${d.node}" (${d.kind}) output #${d.index} ${d.id} at ${nsToIso(d.tsEvent)}, cut ${nsToIso(d.cutNs)}: ${what}.\nThe node (or one it reads) used data from after ${nsToIso(d.cutNs)} for an output stamped at or before it.`;
}
