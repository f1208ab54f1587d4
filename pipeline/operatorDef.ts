// The shape of an operator catalog entry, and small helpers shared by the catalog files in ops/.
import type { Observable } from "rxjs";
import { z } from "zod";
import type { Chunk } from "../core/chunk.ts";
import type { Kind } from "../schemas/kinds.ts";

/** What an operator gets from the runtime besides its parameters. */
export interface OperatorContext {
  readonly pipeline: string;
  readonly node: string;
  /** Sends an item the operator cannot process to the dead-letter stream (dlq.<node>) with the reason. */
  deadLetter(item: unknown, reason: string, field?: string): void;
}

export interface OperatorDef<P = unknown> {
  readonly name: string;
  readonly summary: string;
  readonly inputs: readonly { readonly name: string; readonly kind: Kind }[];
  readonly output: Kind;
  readonly params: z.ZodType<P>;
  readonly example: string;
  build(params: P, ctx: OperatorContext): (inputs: readonly Observable<Chunk<unknown>>[]) => Observable<Chunk<unknown>>;
}

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
export function defineOperator<P>(d: OperatorDef<P>): OperatorDef<unknown> {
  return d as unknown as OperatorDef<unknown>;
}

/** The catalog files' short name for defineOperator. */
export const def = defineOperator;
