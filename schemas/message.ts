// defineMessage: declares a message type once (fields, wire version, table) and derives its validator,
// wire codec, DuckDB column layout and JSON Schema from that single declaration.
import { z } from "zod";
import type { AnyField, DuckColumnType, Field } from "./field.ts";
import { isPlainRecord } from "./field.ts";
import { TickflowError } from "../core/errors.ts";

type MemOf<F> = F extends Field<infer M, unknown> ? M : never;
type OptionalKeys<F extends Record<string, AnyField>> = { [K in keyof F]: undefined extends MemOf<F[K]> ? K : never }[keyof F];
type RequiredKeys<F extends Record<string, AnyField>> = Exclude<keyof F, OptionalKeys<F>>;

/** The in-memory (immutable) shape of a message declared with `fields`. */
export type MessageOf<F extends Record<string, AnyField>> = {
  readonly [K in RequiredKeys<F>]: MemOf<F[K]>;
} & { readonly [K in OptionalKeys<F>]?: MemOf<F[K]> };

export interface ColumnSpec {
  /** snake_case column name. */
  readonly name: string;
  readonly type: DuckColumnType;
  readonly field: string;
  readonly nullable: boolean;
}

/** A message that failed validation: names the message, the field and what was expected. */
export class MessageValidationError extends TickflowError {
  static override readonly code: string = "MESSAGE_INVALID";
  override readonly name: string = "MessageValidationError";
  constructor(
    readonly messageType: string,
    /** Where the message came from, e.g. `md.trades.AAPL #4412` or `trades.csv:17`. */
    readonly ref: string,
    /** Dotted path of the offending field, or "" for the whole message. */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${messageType} message ${ref}: ${field ? `field "${field}" ` : ""}${reason}`);
  }
}

export interface MessageSpec<F extends Record<string, AnyField>> {
  /** Wire `type` tag, e.g. "trade". */
  readonly type: string;
  readonly version: number;
  /** DuckDB table the message is recorded in. */
  readonly table: string;
  readonly description: string;
  readonly fields: F;
  /** Cross-field checks; return `[field, reason]` for the first violation. */
  readonly check?: (m: MessageOf<F>) => readonly [string, string] | undefined;
}

export interface MessageType<F extends Record<string, AnyField>> extends MessageSpec<F> {
  readonly columns: readonly ColumnSpec[];
  /** Zod schema of the wire JSON (envelope `v` and `type` included). */
  readonly wireSchema: z.ZodType;
  /** Validates a parsed JSON value and returns the in-memory message; throws MessageValidationError. */
  decode(json: unknown, ref: string): MessageOf<F>;
  /** Parses bytes (UTF-8 JSON) then decodes; invalid JSON is a MessageValidationError too. */
  decodeBytes(bytes: Uint8Array | string, ref: string): MessageOf<F>;
  /** Decodes with zod alone: what `decode` gives for every input (tests/schemas/fastDecode.test.ts), only slower. */
  decodeReference(json: unknown, ref: string): MessageOf<F>;
  /** The wire JSON object for a message. */
  encode(m: MessageOf<F>): Record<string, unknown>;
  encodeBytes(m: MessageOf<F>): Uint8Array;
  /** The wire form as JSON text (encodeBytes is its UTF-8). */
  encodeText(m: MessageOf<F>): string;
  /** One row of column values, in `columns` order. */
  toRow(m: MessageOf<F>): (string | number | bigint | boolean | null)[];
  fromRow(row: readonly unknown[]): MessageOf<F>;
  jsonSchema(): Record<string, unknown>;
  /** Builds a message from in-memory values, running the same checks as decode. */
  create(m: MessageOf<F>): MessageOf<F>;
}

/** Any declared message type (where its field types do not matter, e.g. to a table layout). */
// biome-ignore lint/suspicious/noExplicitAny: a message type whose field types do not matter (table layouts, codecs by kind)
export type AnyMessageType = MessageType<any>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const snakeCase = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function defineMessage<F extends Record<string, AnyField>>(spec: MessageSpec<F>): MessageType<F> {
  const names = Object.keys(spec.fields);
  const entries = names.map((n) => [n, spec.fields[n]!] as const);
  const wireSchema = z
    .object({
      v: z
        .literal(spec.version, { error: `must be ${spec.version} (this reader understands ${spec.type} wire version ${spec.version})` })
        .describe("wire version of this message type"),
      type: z.literal(spec.type),
      ...Object.fromEntries(entries.map(([n, f]) => [n, f.wire])),
    })
    .describe(spec.description);
  const columns: ColumnSpec[] = entries.map(([n, f]) => ({ name: snakeCase(n), type: f.column, field: n, nullable: f.optional }));

  const runCheck = (m: MessageOf<F>, ref: string): MessageOf<F> => {
    const bad = spec.check?.(m);
    if (bad) throw new MessageValidationError(spec.type, ref, bad[0], bad[1]);
    return m;
  };

  // The hot path: every field's own pre-check (field.ts `accepts`) instead of zod's parse, which stays the
  // reference and the path of every refusal (its error names the field). About 4x cheaper per message.
  const checks = entries.every(([, f]) => f.accepts) ? entries.map(([n, f]) => [n, f.accepts!, f] as const) : undefined;
  const fastDecode = (json: unknown): MessageOf<F> | undefined => {
    if (!checks || !isPlainRecord(json) || json.v !== spec.version || json.type !== spec.type) return undefined;
    for (const [n, accepts] of checks) if (!accepts(json[n])) return undefined;
    const out: Record<string, unknown> = {};
    for (const [n, , f] of checks) {
      const v = f.decode(json[n]);
      if (v !== undefined) out[n] = v;
    }
    return out as MessageOf<F>;
  };

  const decode = (json: unknown, ref: string): MessageOf<F> => {
    const fast = fastDecode(json);
    return fast ? runCheck(fast, ref) : decodeReference(json, ref);
  };

  const decodeReference = (json: unknown, ref: string): MessageOf<F> => {
    const r = wireSchema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const path = issue.path.join(".");
      const got = describeValue(valueAt(json, issue.path));
      throw new MessageValidationError(spec.type, ref, path, `${issue.message}, got ${got}`);
    }
    const w = r.data as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [n, f] of entries) {
      const v = f.decode(w[n]);
      if (v !== undefined) out[n] = v;
    }
    return runCheck(out as MessageOf<F>, ref);
  };

  const encode = (m: MessageOf<F>): Record<string, unknown> => {
    const out: Record<string, unknown> = { v: spec.version, type: spec.type };
    const rec = m as Record<string, unknown>;
    for (const [n, f] of entries) {
      const v = f.encode(rec[n]);
      if (v !== undefined) out[n] = v;
    }
    return out;
  };

  return {
    ...spec,
    columns,
    wireSchema,
    decode,
    decodeReference,
    decodeBytes(bytes, ref) {
      let json: unknown;
      try {
        json = JSON.parse(typeof bytes === "string" ? bytes : decoder.decode(bytes));
      } catch (e) {
        throw new MessageValidationError(spec.type, ref, "", `is not valid JSON (${(e as Error).message})`);
      }
      return decode(json, ref);
    },
    encode,
    encodeBytes: (m) => encoder.encode(JSON.stringify(encode(m))),
    encodeText: (m) => JSON.stringify(encode(m)),
    toRow: (m) => entries.map(([n, f]) => f.toColumn((m as Record<string, unknown>)[n])),
    fromRow(row) {
      const out: Record<string, unknown> = {};
      entries.forEach(([n, f], i) => {
        const v = f.fromColumn(row[i]);
        if (v !== undefined) out[n] = v;
      });
      return out as MessageOf<F>;
    },
    jsonSchema: () => ({
      $id: `https://tickflow.dev/schemas/${spec.type}.v${spec.version}.schema.json`,
      title: `${spec.type} v${spec.version}`,
      ...z.toJSONSchema(wireSchema, { io: "input" }),
    }),
    create(m) {
      // Round-trip through the wire validator so in-process producers obey the same rules as the wire.
      return decode(encode(m), `(created ${spec.type})`);
    },
  };
}

function valueAt(json: unknown, path: readonly PropertyKey[]): unknown {
  let cur = json;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing (field missing)";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
