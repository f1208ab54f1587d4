// Field kinds: one definition per kind gives the wire validator (zod), the in-memory type,
// the DuckDB column type and the conversions between them. Every message is built from these.
import { z } from "zod";

/** DuckDB column types a field can map to. */
export type DuckColumnType = "VARCHAR" | "DOUBLE" | "BIGINT" | "INTEGER" | "TIMESTAMP_NS" | "BOOLEAN";

export interface Field<TMem, TWire> {
  readonly kind: string;
  /** Validates the JSON value on the wire. */
  readonly wire: z.ZodType<TWire>;
  /**
   * A fast pre-check of the hot decode path: true only for values `wire` accepts unchanged. It may say false for a
   * value zod would accept (then zod decides, and says why when it refuses); it must never say true for one zod
   * refuses (tests/schemas/fastDecode.test.ts holds it to that). Absent: always zod.
   */
  readonly accepts?: (w: unknown) => boolean;
  readonly column: DuckColumnType;
  readonly optional: boolean;
  readonly description: string;
  decode(wire: TWire): TMem;
  encode(mem: TMem): TWire;
  /** The value as stored in a DuckDB column (JSON fields are stored as text). */
  toColumn(mem: TMem): string | number | bigint | boolean | null;
  fromColumn(value: unknown): TMem;
}

// biome-ignore lint/suspicious/noExplicitAny: a field of any type, where only its column and codec matter
export type AnyField = Field<any, any>;

const identity = <T>(x: T): T => x;

function field<TMem, TWire>(
  kind: string,
  wire: z.ZodType<TWire>,
  column: DuckColumnType,
  description: string,
  decode: (w: TWire) => TMem = identity as (w: TWire) => TMem,
  encode: (m: TMem) => TWire = identity as (m: TMem) => TWire,
  toColumn: (m: TMem) => string | number | bigint | boolean | null = identity as (m: TMem) => number,
  fromColumn: (v: unknown) => TMem = identity as (v: unknown) => TMem,
): Field<TMem, TWire> {
  return { kind, wire: wire.describe(description), column, optional: false, description, decode, encode, toColumn, fromColumn };
}

const withAccepts = <TMem, TWire>(f: Field<TMem, TWire>, accepts: (w: unknown) => boolean): Field<TMem, TWire> => ({ ...f, accepts });

/** A JSON object as JSON.parse makes it (no arrays, no class instances, no `__proto__` key). */
export function isPlainRecord(w: unknown): w is Record<string, unknown> {
  if (typeof w !== "object" || w === null || Array.isArray(w)) return false;
  const proto = Object.getPrototypeOf(w);
  return (proto === Object.prototype || proto === null) && !Object.hasOwn(w, "__proto__");
}

const NS_PATTERN = /^-?\d{1,19}$/;
/**
 * What TIMESTAMP_NS (int64 nanoseconds) can hold: DuckDB keeps the two extremes for ±infinity, so an event time
 * must lie strictly between them (1677-09-21 .. 2262-04-11). Nineteen digits alone would admit values beyond int64.
 */
export const MIN_TIMESTAMP_NS = -(2n ** 63n) + 1n;
export const MAX_TIMESTAMP_NS = 2n ** 63n - 2n;

/**
 * A timestamp in integer nanoseconds since the Unix epoch (UTC).
 * On the wire a decimal string (JSON numbers lose precision above 2^53), in memory a bigint,
 * in DuckDB a TIMESTAMP_NS.
 */
export const timestampNs = (description: string): Field<bigint, string> =>
  withAccepts(timestampField(description), (w) => {
    if (typeof w !== "string" || !NS_PATTERN.test(w)) return false;
    if (w.length < 19) return true; // at most 18 digits: well inside int64
    const t = BigInt(w);
    return t >= MIN_TIMESTAMP_NS && t <= MAX_TIMESTAMP_NS;
  });

const timestampField = (description: string): Field<bigint, string> =>
  field<bigint, string>(
    "timestampNs",
    z
      .string()
      .regex(NS_PATTERN, "must be integer nanoseconds since the epoch, as a decimal string")
      .refine((w) => {
        if (!NS_PATTERN.test(w)) return true; // the pattern reports it
        const t = BigInt(w);
        return t >= MIN_TIMESTAMP_NS && t <= MAX_TIMESTAMP_NS;
      }, "must be integer nanoseconds within the int64 range DuckDB can record (1677-09-21 to 2262-04-11)"),
    "TIMESTAMP_NS",
    `${description} (integer nanoseconds since 1970-01-01T00:00:00Z, as a decimal string)`,
    (w) => BigInt(w),
    (m) => m.toString(),
    (m) => m,
    (v) => BigInt(v as bigint),
  );

export const text = (description: string, opts: { min?: number; max?: number; pattern?: RegExp; patternHint?: string } = {}): Field<string, string> => {
  let s = z
    .string()
    .min(opts.min ?? 0)
    .max(opts.max ?? 100_000);
  if (opts.pattern) s = s.regex(opts.pattern, opts.patternHint ?? `must match ${opts.pattern}`);
  const min = opts.min ?? 0;
  const max = opts.max ?? 100_000;
  const pattern = opts.pattern && !opts.pattern.global && !opts.pattern.sticky ? opts.pattern : undefined;
  return withAccepts(
    field<string, string>("text", s, "VARCHAR", description),
    (w) => typeof w === "string" && w.length >= min && w.length <= max && (opts.pattern === undefined || pattern?.test(w) === true),
  );
};

/** Ticker symbol: upper-case letters, digits, '.', '-', '_' (e.g. "AAPL", "BRK.B", "EURUSD"). */
export const symbol = (description = "instrument symbol"): Field<string, string> =>
  text(description, { min: 1, max: 32, pattern: /^[A-Z0-9][A-Z0-9._-]*$/, patternHint: "must be an upper-case symbol like AAPL or BRK.B" });

/** A finite double; `positive` also requires > 0, `nonNegative` >= 0. */
export const number = (description: string, opts: { positive?: boolean; nonNegative?: boolean; min?: number; max?: number } = {}): Field<number, number> => {
  let s = z.number({ error: "must be a finite number" }).finite("must be a finite number");
  if (opts.positive) s = s.gt(0, "must be a positive finite number");
  if (opts.nonNegative) s = s.gte(0, "must be a non-negative finite number");
  if (opts.min !== undefined) s = s.gte(opts.min);
  if (opts.max !== undefined) s = s.lte(opts.max);
  return withAccepts(
    field<number, number>("number", s, "DOUBLE", description),
    (w) =>
      typeof w === "number" &&
      Number.isFinite(w) &&
      (!opts.positive || w > 0) &&
      (!opts.nonNegative || w >= 0) &&
      (opts.min === undefined || w >= opts.min) &&
      (opts.max === undefined || w <= opts.max),
  );
};

export const integer = (description: string, opts: { min?: number } = {}): Field<number, number> => {
  let s = z.number().int("must be an integer");
  if (opts.min !== undefined) s = s.gte(opts.min);
  const accepts = (w: unknown): boolean => typeof w === "number" && Number.isSafeInteger(w) && (opts.min === undefined || w >= opts.min);
  return withAccepts(integerField(s, description), accepts);
};

const integerField = (s: z.ZodNumber, description: string): Field<number, number> =>
  field<number, number>(
    "integer",
    s,
    "BIGINT",
    description,
    identity,
    identity,
    (m) => BigInt(m),
    (v) => Number(v),
  );

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, description: string): Field<T[number], T[number]> =>
  withAccepts(field<T[number], T[number]>("enum", z.enum(values), "VARCHAR", description), (w) => typeof w === "string" && values.includes(w));

/** A list of strings, stored in DuckDB as a JSON array text. */
export const textList = (description: string, item?: Field<string, string>): Field<string[], string[]> => {
  const f = textListField(description, item);
  if (item && !item.accepts) return f;
  const one = item?.accepts ?? ((x: unknown) => typeof x === "string");
  return withAccepts(f, (w) => Array.isArray(w) && w.every(one));
};

const textListField = (description: string, item?: Field<string, string>): Field<string[], string[]> =>
  field<string[], string[]>(
    "textList",
    z.array(item ? item.wire : z.string()),
    "VARCHAR",
    description,
    (w) => [...w],
    (m) => [...m],
    (m) => JSON.stringify(m),
    (v) => JSON.parse(String(v)) as string[],
  );

export type JsonScalar = string | number | boolean | null;
/** A flat record of named scalars (e.g. the inputs that produced a signal), stored as JSON text. */
export const scalarRecord = (description: string): Field<Record<string, JsonScalar>, Record<string, JsonScalar>> =>
  withAccepts(scalarRecordField(description), (w) => {
    if (!isPlainRecord(w)) return false;
    for (const k in w) {
      const v = w[k];
      if (!(v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)))) return false;
    }
    return true;
  });

const scalarRecordField = (description: string): Field<Record<string, JsonScalar>, Record<string, JsonScalar>> =>
  field<Record<string, JsonScalar>, Record<string, JsonScalar>>(
    "scalarRecord",
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    "VARCHAR",
    description,
    (w) => ({ ...w }),
    (m) => m,
    (m) => JSON.stringify(m),
    (v) => JSON.parse(String(v)) as Record<string, JsonScalar>,
  );

/** Marks a field optional: absent on the wire, `undefined` in memory, NULL in DuckDB. */
export function optional<TMem, TWire>(f: Field<TMem, TWire>): Field<TMem | undefined, TWire | undefined> {
  return {
    ...f,
    optional: true,
    wire: f.wire.optional() as unknown as z.ZodType<TWire | undefined>,
    accepts: f.accepts && ((w) => w === undefined || f.accepts!(w)),
    decode: (w) => (w === undefined ? undefined : f.decode(w)),
    encode: (m) => (m === undefined ? undefined : f.encode(m)),
    toColumn: (m) => (m === undefined ? null : f.toColumn(m)),
    fromColumn: (v) => (v === null || v === undefined ? undefined : f.fromColumn(v)),
  };
}

/** A record of named finite numbers (feature values), stored as JSON text. */
export const numberRecord = (description: string): Field<Record<string, number>, Record<string, number>> =>
  withAccepts(numberRecordField(description), (w) => {
    if (!isPlainRecord(w)) return false;
    for (const k in w) {
      const v = w[k];
      if (typeof v !== "number" || !Number.isFinite(v)) return false;
    }
    return true;
  });

const numberRecordField = (description: string): Field<Record<string, number>, Record<string, number>> =>
  field<Record<string, number>, Record<string, number>>(
    "numberRecord",
    z.record(z.string(), z.number().finite("must be a finite number")),
    "VARCHAR",
    description,
    (w) => ({ ...w }),
    (m) => m,
    (m) => JSON.stringify(m),
    (v) => JSON.parse(String(v)) as Record<string, number>,
  );
