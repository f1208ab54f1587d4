// What a pipeline declaration can say about its connectors: each source connector and sink type has a spec with
// typed parameters (zod, defaults documented beside each field), a summary and an example. The compiler checks a
// declaration against these specs, so a misconfigured source or sink is refused at load with file:line. The
// runtime half of a spec (how to open it) is in runtime/connectors.ts; the built-in ones are listed in
// app/connectors.ts.
import type { z } from "zod";
import type { Kind, SourceKind } from "../schemas/kinds.ts";

/** When a sink runs: `live` runs, `replay` runs, the lookahead `check`. */
export type RunMode = "live" | "replay" | "check";

/** The declaration half of a sink: what the compiler checks. */
export interface SinkMeta<P = unknown> {
  /** The `type` a declaration names, e.g. `nats`. */
  readonly type: string;
  readonly summary: string;
  readonly params: z.ZodType<P>;
  /** A sink entry as written in YAML. */
  readonly example: string;
  /** Kinds it can take; absent: every kind. */
  readonly accepts?: readonly Kind[];
  /** Modes it runs in (a backtest publishes nothing: nats runs live only). */
  readonly modes: readonly RunMode[];
}

/** The declaration half of a source connector. */
export interface SourceMeta<P = unknown> {
  /** The `connector` a source declaration names, e.g. `jetstream` (the default). */
  readonly connector: string;
  readonly summary: string;
  readonly params: z.ZodType<P>;
  readonly example: string;
  /** Message kinds it produces. */
  readonly kinds: readonly SourceKind[];
  /**
   * The subjects its inputs are recorded under: replay reads a source back by these filters.
   */
  subjects(params: P, kind: SourceKind): readonly string[];
}

/** Every connector a compiler knows. */
export interface ConnectorCatalog {
  readonly sources: readonly SourceMeta[];
  readonly sinks: readonly SinkMeta[];
}
