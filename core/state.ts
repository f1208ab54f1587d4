// Managed operator state: what a stateful operator keeps between batches is one plain-data object it declares
// (name, version, how to create it), never variables hidden in a closure, so the runtime can save it with a
// checkpoint and a restarted run resumes exactly where the crashed one committed (Flink's managed state,
// NautilusTrader's on_save/on_load).
//
// Operators stay plain functions: each subscription registers its state cell with the registry that is active
// while the pipeline subscribes (StateRegistry.within), keyed by node and by the order of subscription, which the
// same pipeline always repeats. Outside a registry (a unit test piping an operator by hand) nothing is registered.
import { TickflowError } from "./errors.ts";

/** Declares the state of a stateful operator. */
export interface StateSpec<S> {
  /** Names the state in a checkpoint, e.g. "bars". */
  readonly name: string;
  /** Bump when the shape of S changes: a checkpoint of another version is refused, never misread. */
  readonly version: number;
  /** The state of a fresh subscription. */
  init(): S;
  /** Plain data of S when S holds class instances (default: S itself, which must then be plain data). */
  save?(state: S): unknown;
  /** Rebuilds S from what `save` returned (default: the data itself). */
  load?(data: unknown): S;
  /** Why this configuration cannot be checkpointed (e.g. an indicator whose library hides its state); checked at start. */
  readonly unsupported?: string;
}

/** One subscription's registered state. */
export interface StateCell {
  /** `<node>/<n>:<name>`: the n-th state the node's operators registered while subscribing. */
  readonly key: string;
  readonly version: number;
  readonly unsupported?: string;
  save(): unknown;
  load(data: unknown): void;
}

/** A saved cell: its version and data (plain data, encoded by core/stateCodec.ts). */
export interface SavedCell {
  readonly version: number;
  readonly data: unknown;
}

/** A checkpoint does not fit the pipeline (another version, other nodes, another operator state layout). */
export class StateRestoreError extends TickflowError {
  static override readonly code = "CHECKPOINT_MISMATCH";
  static override readonly refusal = true;
  override readonly name = "StateRestoreError";
}

/** A node's operator cannot save its state (see StateSpec.unsupported). */
export class StateUnsupportedError extends TickflowError {
  static override readonly code = "STATE_NOT_CHECKPOINTABLE";
  static override readonly refusal = true;
  override readonly name = "StateUnsupportedError";
}

interface Scope {
  readonly registry: StateRegistry;
  readonly node: string;
  next: number;
}

// One slot per process, not per module instance: a user operator module imports "tickflow" (the built package)
// and must register with the registry of the engine that runs it, even when that engine is another copy (tests).
const ACTIVE = Symbol.for("tickflow.state.activeScope");
const slot = globalThis as { [ACTIVE]?: Scope };

/** The state cells of one pipeline instance. */
export class StateRegistry {
  private readonly cells = new Map<string, StateCell>();

  /** Runs `fn` (a subscription) with state registered under `node`; scopes nest (an upstream node subscribes inside). */
  within<T>(node: string, fn: () => T): T {
    const outer = slot[ACTIVE];
    slot[ACTIVE] = { registry: this, node, next: 0 };
    try {
      return fn();
    } finally {
      slot[ACTIVE] = outer;
    }
  }

  /** Keys of the registered cells, in registration order. */
  get keys(): string[] {
    return [...this.cells.keys()];
  }

  /** Nodes that registered state. */
  nodes(): Set<string> {
    return new Set(this.keys.map((k) => k.slice(0, k.lastIndexOf("/"))));
  }

  /** Throws when a cell cannot be saved (refused at the start of a checkpointed run, not at the first checkpoint). */
  assertCheckpointable(): void {
    const bad = [...this.cells.values()].filter((c) => c.unsupported);
    if (bad.length) throw new StateUnsupportedError(`cannot checkpoint this pipeline: ${bad.map((c) => `${c.key}: ${c.unsupported}`).join("; ")}`);
  }

  /** Every cell's saved data, by key. */
  save(): Record<string, SavedCell> {
    const out: Record<string, SavedCell> = {};
    for (const c of this.cells.values()) {
      if (c.unsupported) throw new StateUnsupportedError(`${c.key}: ${c.unsupported}`);
      out[c.key] = { version: c.version, data: c.save() };
    }
    return out;
  }

  /** Loads saved cells; the saved keys and versions must be exactly this instance's. */
  load(saved: Record<string, SavedCell>): void {
    const have = this.keys;
    const want = Object.keys(saved);
    const missing = have.filter((k) => !(k in saved));
    const extra = want.filter((k) => !this.cells.has(k));
    if (missing.length || extra.length) {
      throw new StateRestoreError(
        `the checkpoint holds operator state for ${want.join(", ") || "nothing"} but this pipeline has ${have.join(", ") || "none"}` +
          `${missing.length ? ` (not in the checkpoint: ${missing.join(", ")})` : ""}${extra.length ? ` (unknown here: ${extra.join(", ")})` : ""}`,
      );
    }
    for (const c of this.cells.values()) {
      const s = saved[c.key]!;
      if (s.version !== c.version)
        throw new StateRestoreError(`${c.key}: the checkpoint holds state version ${s.version}, this tickflow reads version ${c.version}`);
    }
    for (const c of this.cells.values()) c.load(saved[c.key]!.data);
  }

  /** @internal called by managedHandler */
  add(cell: Omit<StateCell, "key">, name: string, scope: Scope): void {
    const key = `${scope.node}/${scope.next++}:${name}`;
    this.cells.set(key, { ...cell, key });
  }
}

/** State a skeleton keeps besides its handler's (a chunk operator's watermark, a merge's buffers), saved in the same cell. */
export interface SkeletonState {
  save(): unknown;
  load(data: unknown): void;
}

/**
 * The handler of one subscription over its declared state, registered with the active registry (if any): when the
 * runtime restores the state, `handler` is built again over the restored object. Operator skeletons (chunkOperator,
 * mergeByWatermark) use it; an operator uses it directly only when it builds its own Observable.
 *
 * @example
 * const h = managedHandler(spec, (state) => ({ onItems: (xs, out) => { state.n += xs.length; } }));
 * h.handler.onItems(items, out);
 * @param spec the declared state; undefined: a handler that keeps nothing (then only `skeleton` is saved, if given)
 */
export function managedHandler<S, H>(spec: StateSpec<S> | undefined, create: (state: S) => H, skeleton?: SkeletonState): { readonly handler: H } {
  let state = spec ? spec.init() : (undefined as S);
  const cell = { handler: create(state) };
  const scope = slot[ACTIVE];
  if (!spec || !scope) return cell;
  scope.registry.add(
    {
      version: spec.version,
      unsupported: spec.unsupported,
      save: () => {
        const data = spec.save ? spec.save(state) : state;
        return skeleton ? { s: data, x: skeleton.save() } : data;
      },
      load: (d) => {
        const data = skeleton ? (d as { s: unknown; x: unknown }).s : d;
        if (skeleton) skeleton.load((d as { s: unknown; x: unknown }).x);
        state = spec.load ? spec.load(data) : (data as S);
        cell.handler = create(state);
      },
    },
    spec.name,
    scope,
  );
  return cell;
}
