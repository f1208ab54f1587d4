// The shape of an operator catalog entry (built-in or user-written), and small helpers shared by the catalog files.
import type { Observable } from "rxjs";
import { z } from "zod";
import type { Chunk } from "../core/chunk.ts";
import type { ItemOf, Kind } from "../schemas/kinds.ts";

/** What an operator gets from the runtime besides its parameters. */
export interface OperatorContext {
  readonly pipeline: string;
  readonly node: string;
  /** Sends an item the operator cannot process to the dead-letter stream (dlq.<node>) with the reason. */
  deadLetter(item: unknown, reason: string, field?: string): void;
}

/** The input streams of an operator with input kinds `I`: each a chunk stream of its kind's items. */
export type InputStreams<I extends readonly Kind[]> = { readonly [n in keyof I]: Observable<Chunk<ItemOf<I[n]>>> };

/**
 * An operator: input kinds `I` (in order), output kind `O`, parameters `P`. `build` gets typed streams of the items
 * its declared kinds carry; the compiler checks every edge's kind, so the graph hands each operator exactly those.
 */
export interface OperatorSpec<P, I extends readonly Kind[], O extends Kind> {
  readonly name: string;
  readonly summary: string;
  readonly inputs: { readonly [n in keyof I]: { readonly name: string; readonly kind: I[n] } };
  readonly output: O;
  readonly params: z.ZodType<P>;
  readonly example: string;
  /**
   * Names of the values a `features` output carries, from the params and each input's names (undefined for an
   * input that is not feature rows or whose names are not known). Undefined: not known (nothing is checked below it).
   */
  readonly fields?: (params: P, inputs: readonly (readonly string[] | undefined)[]) => readonly string[] | undefined;
  /** The values it reads from its feature-row inputs, with the params path naming each: checked at load against `fields` upstream. */
  readonly reads?: (params: P) => readonly FieldRead[];
  build(params: P, ctx: OperatorContext): (inputs: InputStreams<I>) => Observable<Chunk<ItemOf<O>>>;
}

/** An operator with its types erased, as the catalog lists and the graph wires them. */
export interface OperatorDef<P = unknown> {
  readonly name: string;
  readonly summary: string;
  readonly inputs: readonly { readonly name: string; readonly kind: Kind }[];
  readonly output: Kind;
  readonly params: z.ZodType<P>;
  readonly example: string;
  /**
   * Names of the values a `features` output carries, from the params and each input's names (undefined for an
   * input that is not feature rows or whose names are not known). Undefined: not known (nothing is checked below it).
   */
  readonly fields?: (params: P, inputs: readonly (readonly string[] | undefined)[]) => readonly string[] | undefined;
  /** The values it reads from its feature-row inputs, with the params path naming each: checked at load against `fields` upstream. */
  readonly reads?: (params: P) => readonly FieldRead[];
  build(params: P, ctx: OperatorContext): (inputs: readonly Observable<Chunk<unknown>>[]) => Observable<Chunk<unknown>>;
}

/** A value an operator reads from a feature row, and where its params name it (e.g. ["strategy", "enterLong", "crossAbove", 0]). */
export interface FieldRead {
  readonly name: string;
  readonly path: readonly (string | number)[];
}

/** The values every bar-derived feature row of `indicators` carries besides the indicators. */
export const BAR_FIELDS: readonly string[] = ["open", "high", "low", "close", "volume", "vwap"];

export const duration = z.string().regex(/^\d+(\.\d+)?(ns|us|ms|s|m|h|d)$/, "must be a duration like 500ms, 2s, 1m, 4h");
export const featureName = z.string().min(1);

/**
 * Declares an operator a pipeline can name: its inputs and output kinds, typed parameters (zod, defaults documented
 * with `.describe`), an example, and `build`, which wires it over chunk streams. A user module exports one as its
 * default and a pipeline names the module by path (`op: ./operators-local/myRule.ts`).
 *
 * @example
 * export default defineOperator({
 *   name: "halve", summary: "feature rows with `x` halved", inputs: [{ name: "rows", kind: "features" }], output: "features",
 *   params: z.strictObject({}), example: "{ op: ./halve.ts, in: indicators }",
 *   build: () => ([rows]) => rows.pipe(mapItems(() => (r: FeatureRow) => ({ ...r, values: { ...r.values, x: r.values.x! / 2 } }))),
 * });
 */
export function defineOperator<P, const I extends readonly Kind[], O extends Kind>(d: OperatorSpec<P, I, O>): OperatorDef<unknown> {
  // The one erasure: the graph only connects streams of the kinds `d` declares (checked by compilePipeline).
  return d as unknown as OperatorDef<unknown>;
}

/** The catalog files' short name for defineOperator. */
export const def = defineOperator;
