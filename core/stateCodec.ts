// The text form of operator state in a checkpoint: JSON, with tags for what JSON cannot hold exactly (bigint,
// NaN/±Infinity/-0, undefined, Map, Set, Float64Array), so that decode(encode(x)) is x, value for value.
// Only plain data is accepted: a class instance is refused with its path, because restoring it as a plain object
// would silently drop its methods.
import { TickflowError } from "./errors.ts";

/** A value that is not plain data (class instance, function, symbol) was found in operator state. */
export class StateCodecError extends TickflowError {
  static override readonly code = "STATE_NOT_PLAIN_DATA";
  override readonly name = "StateCodecError";
}

const TAG = "$";

/**
 * Encodes plain data as JSON text, exactly.
 *
 * @example
 * decodeState(encodeState({ n: 1n, x: NaN, m: new Map([["a", 1]]) })) // { n: 1n, x: NaN, m: Map { a → 1 } }
 * @param value objects (plain), arrays, strings, booleans, null, undefined, numbers, bigints, Maps, Sets, Float64Arrays
 * @param what names the state in an error ("state of node bars")
 */
export function encodeState(value: unknown, what = "state"): string {
  return JSON.stringify(toJson(value, what));
}

/** Decodes what encodeState wrote. */
export function decodeState(text: string): unknown {
  return fromJson(JSON.parse(text) as unknown);
}

/** A deep copy of plain data through the codec (what a restore would give). */
export function cloneState<T>(value: T): T {
  return decodeState(encodeState(value)) as T;
}

function toJson(v: unknown, path: string): unknown {
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      if (Number.isFinite(v) && !Object.is(v, -0)) return v;
      return { [`${TAG}num`]: Object.is(v, -0) ? "-0" : String(v) };
    case "bigint":
      return { [`${TAG}big`]: v.toString() };
    case "undefined":
      return { [`${TAG}undef`]: 1 };
    case "object": {
      if (v === null) return null;
      if (Array.isArray(v)) return v.map((x, i) => toJson(x, `${path}[${i}]`));
      if (v instanceof Map) return { [`${TAG}map`]: [...v].map(([k, x], i) => [toJson(k, `${path}<key ${i}>`), toJson(x, `${path}.get(${String(k)})`)]) };
      if (v instanceof Set) return { [`${TAG}set`]: [...v].map((x, i) => toJson(x, `${path}<item ${i}>`)) };
      if (v instanceof Float64Array) return { [`${TAG}f64`]: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new StateCodecError(
          `${path} is a ${(v as object).constructor?.name ?? "class"} instance; operator state must be plain data (objects, arrays, Maps, numbers, bigints, strings): give the class toState/fromState`,
        );
      }
      const o: Record<string, unknown> = {};
      let tagged = false;
      for (const [k, x] of Object.entries(v)) {
        if (k.startsWith(TAG)) tagged = true;
        o[k] = toJson(x, `${path}.${k}`);
      }
      // A user key that looks like a tag is wrapped, so it never decodes as one.
      return tagged ? { [`${TAG}obj`]: o } : o;
    }
    default:
      throw new StateCodecError(`${path} is a ${typeof v}; operator state must be plain data`);
  }
}

function fromJson(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(fromJson);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0]!.startsWith(TAG)) {
    const x = o[keys[0]!];
    switch (keys[0]) {
      case `${TAG}num`:
        return x === "-0" ? -0 : Number(x);
      case `${TAG}big`:
        return BigInt(x as string);
      case `${TAG}undef`:
        return undefined;
      case `${TAG}map`:
        return new Map((x as [unknown, unknown][]).map(([k, y]) => [fromJson(k), fromJson(y)]));
      case `${TAG}set`:
        return new Set((x as unknown[]).map(fromJson));
      case `${TAG}f64`: {
        const b = Buffer.from(x as string, "base64");
        return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      }
      case `${TAG}obj`:
        return plainObject(x as Record<string, unknown>);
    }
  }
  return plainObject(o);
}

function plainObject(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    // "__proto__" as a key must stay a key, never set the prototype.
    Object.defineProperty(out, k, { value: fromJson(x), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
