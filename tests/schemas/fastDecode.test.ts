// The decode fast path (field.ts `accepts`, message.ts `fastDecode`) against zod, the reference: for every message
// type, on values near and across each field's limits, `decode` and `decodeReference` give the same message or the
// same error. A pre-check that let through one value zod refuses would fail here.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { MESSAGE_TYPES } from "../../schemas/kinds.ts";
import type { AnyMessageType } from "../../schemas/message.ts";

interface PropSchema {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  items?: PropSchema;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  additionalProperties?: PropSchema;
  anyOf?: PropSchema[];
}

const edgeStrings = fc.constantFrom(
  "",
  "A",
  "AAPL",
  "BRK.B",
  "aapl",
  "-X",
  "1704205800123456789",
  "9223372036854775806",
  "9223372036854775807",
  "-9223372036854775807",
  "-9223372036854775808",
  "99999999999999999999",
  "0",
  "-0",
  "1e9",
  " 1",
  "01",
  "__proto__",
  "x".repeat(33),
  "é",
);
const edgeNumbers = fc.constantFrom(0, -0, 1, -1, 0.5, -1e-300, 1e308, 2 ** 53, 2 ** 53 + 2, -(2 ** 60), 1.5, 100_000);
const anyJson = fc.jsonValue({ maxDepth: 2 });

/** Values for one property: mostly plausible for its JSON schema, sometimes anything at all. */
function valueFor(p: PropSchema): fc.Arbitrary<unknown> {
  const plausible: fc.Arbitrary<unknown>[] = [];
  if (p.const !== undefined) plausible.push(fc.constant(p.const));
  if (p.enum) plausible.push(fc.constantFrom(...p.enum));
  if (p.anyOf) plausible.push(...p.anyOf.map(valueFor));
  if (p.type === "string") plausible.push(edgeStrings, fc.string({ maxLength: 40 }), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String));
  if (p.type === "number" || p.type === "integer") plausible.push(edgeNumbers, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
  if (p.type === "array") plausible.push(fc.array(p.items ? valueFor(p.items) : anyJson, { maxLength: 4 }));
  if (p.type === "object")
    plausible.push(
      fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constant("__proto__")), p.additionalProperties ? valueFor(p.additionalProperties) : anyJson, {
        maxKeys: 4,
      }),
    );
  return fc.oneof(
    { weight: 8, arbitrary: fc.oneof(...(plausible.length ? plausible : [anyJson])) },
    { weight: 1, arbitrary: anyJson },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** A value the property's schema accepts, for a valid seed message. */
function canonical(p: PropSchema): unknown {
  if (p.const !== undefined) return p.const;
  if (p.enum) return p.enum[0];
  if (p.anyOf) return canonical(p.anyOf[0]!);
  if (p.type === "string") {
    if (p.pattern) return ["1704205800123456789", "AAPL", "1m"].find((c) => new RegExp(p.pattern!).test(c)) ?? "x";
    return "x".repeat(Math.max(1, p.minLength ?? 1));
  }
  if (p.type === "number" || p.type === "integer") return 1;
  if (p.type === "array") return [];
  if (p.type === "object") return {};
  return null;
}

/** A valid seed message with one property (or none) replaced by a value near or across its limits. */
function oneFieldArb(type: AnyMessageType): fc.Arbitrary<unknown> {
  const schema = type.jsonSchema() as { properties: Record<string, PropSchema> };
  const props = Object.entries(schema.properties);
  const seed = Object.fromEntries(props.map(([n, p]) => [n, canonical(p)]));
  if ("tsOpen" in seed) seed.tsOpen = "1704205740123456789"; // a bar ends after it opens
  return fc.tuple(fc.integer({ min: -1, max: props.length - 1 }), fc.oneof(...props.map(([, p]) => valueFor(p)))).map(([i, v]) => {
    const out: Record<string, unknown> = { ...seed };
    if (i >= 0) {
      const name = props[i]![0];
      if (v === undefined) delete out[name];
      else out[name] = v;
    }
    return JSON.parse(JSON.stringify(out));
  });
}

function messageArb(type: AnyMessageType): fc.Arbitrary<unknown> {
  const schema = type.jsonSchema() as { properties: Record<string, PropSchema> };
  const props = Object.entries(schema.properties);
  return fc.tuple(...props.map(([, p]) => valueFor(p)), fc.option(fc.string({ maxLength: 5 }))).map((vals) => {
    const out: Record<string, unknown> = {};
    props.forEach(([n], i) => {
      if (vals[i] !== undefined) out[n] = vals[i];
    });
    const extra = vals[props.length];
    if (typeof extra === "string") out[`x_${extra}`] = 1; // unknown keys are dropped, by both paths
    return JSON.parse(JSON.stringify(out)); // what the wire gives: JSON.parse's own objects
  });
}

const outcome = (f: () => unknown): { ok: unknown } | { error: string } => {
  try {
    return { ok: f() };
  } catch (e) {
    return { error: String((e as Error).message) };
  }
};

describe("the decode fast path", () => {
  for (const type of MESSAGE_TYPES) {
    it(`${type.type}: gives what zod gives, message or error, for any JSON`, () => {
      let accepted = 0;
      fc.assert(
        fc.property(fc.oneof(messageArb(type), oneFieldArb(type)), (json) => {
          const fast = outcome(() => type.decode(json, "ref"));
          expect(fast).toEqual(outcome(() => type.decodeReference(json, "ref")));
          if ("ok" in fast) accepted++;
        }),
        { numRuns: 400, seed: 42 },
      );
      // The generator reaches the accepting path too (not only refusals).
      expect(accepted).toBeGreaterThan(0);
    });
  }

  it("decodes a well-formed message without zod and keeps zod's error for a bad one", () => {
    const trade = MESSAGE_TYPES.find((t) => t.type === "trade")!;
    const good = { v: 1, type: "trade", id: "t1", symbol: "AAPL", tsEvent: "1704205800123456789", price: 190.5, size: 10 };
    expect(trade.decode(good, "r")).toEqual(trade.decodeReference(good, "r"));
    expect(() => trade.decode({ ...good, price: -1 }, "m7")).toThrow(/^trade message m7: field "price" must be a positive/);
  });
});
