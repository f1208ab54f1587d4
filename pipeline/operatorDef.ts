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

/** Erases an entry's parameter type so entries of different operators fit one list. */
export function def<P>(d: OperatorDef<P>): OperatorDef<unknown> {
  return d as unknown as OperatorDef<unknown>;
}
