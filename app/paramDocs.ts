// Parameter documentation derived from a zod schema (through its JSON Schema, zod 4's `z.toJSONSchema`), so the
// reference and `tickflow catalog` show the same types, defaults and `.describe()` texts the validator enforces.
import { z } from "zod";
import { duration } from "../pipeline/operatorDef.ts";
import { TIMEFRAME_PATTERN } from "../schemas/timeframe.ts";

/** One parameter, or a field inside one (`session.timezone`, `instruments[].symbol`). */
export interface ParamDoc {
  /** The path as a user writes it: `timeframe`, `session.open`, `instruments[].symbol`. */
  readonly name: string;
  /** Compact type: `duration`, `integer > 0`, `change | every`, `string[]`, `{ bps } | { ticks, tickSize? }`. */
  readonly type: string;
  /** Must be given (for a field: whenever its parent is). */
  readonly required: boolean;
  /** The default as YAML flow text, when there is one. */
  readonly default?: string;
  readonly description: string;
  /** For a field of one variant of a union: the variant, e.g. `type: sliding`. */
  readonly when?: string;
  /** Fields of an object parameter (or of each item of an array of objects, or of each variant). */
  readonly fields: readonly ParamDoc[];
}

/** A JSON Schema node, as far as the renderer reads it. */
export interface JsonSchemaNode {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: JsonSchemaNode | boolean;
  readonly items?: JsonSchemaNode | boolean;
  readonly prefixItems?: readonly JsonSchemaNode[];
  readonly anyOf?: readonly JsonSchemaNode[];
  readonly oneOf?: readonly JsonSchemaNode[];
  readonly allOf?: readonly JsonSchemaNode[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly description?: string;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchemaNode>>;
}

/** Patterns that have a name users know; any other pattern shows as `string`. */
const PATTERN_NAMES = new Map<string, string>([
  [(z.toJSONSchema(duration) as JsonSchemaNode).pattern ?? "", "duration"],
  [TIMEFRAME_PATTERN.source, "timeframe"],
  ["^([01]\\d|2[0-3]):[0-5]\\d$", "HH:MM"],
  ["^[A-Za-z][A-Za-z0-9_-]*$", "name"],
  ["^[A-Za-z_][A-Za-z0-9_.]*$", "name"],
  ["^[A-Za-z0-9_.-]+$", "name"],
]);

/** ±2^53−1: zod's bounds of a safe integer, which say nothing a user needs. */
const SAFE = Number.MAX_SAFE_INTEGER;

/** The JSON Schema of `schema` as its input (defaults make fields optional); what JSON Schema cannot say (refinements) is left out. */
export function inputJsonSchema(schema: z.ZodType): JsonSchemaNode {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchemaNode;
}

/** The parameters of an object schema, in declaration order. */
export function paramDocs(schema: z.ZodType): ParamDoc[] {
  const root = inputJsonSchema(schema);
  return objectFields(root, "", undefined, root);
}

/** The documentation of a single schema (not an object of parameters), e.g. one rule field. */
export function schemaDoc(name: string, schema: z.ZodType): ParamDoc {
  const root = inputJsonSchema(schema);
  return paramDoc(name, root, true, undefined, root);
}

/** A JSON Schema node's compact type (see ParamDoc.type); an object shows its keys only as a variant of a union. */
export function typeOf(js: JsonSchemaNode, root: JsonSchemaNode, variant = false): string {
  if (js.$ref !== undefined) return refName(js.$ref);
  const alts = js.anyOf ?? js.oneOf;
  if (alts) return [...new Set(alts.map((a) => typeOf(a, root, true)))].join(" | ");
  if (js.allOf) return js.allOf.map((a) => typeOf(a, root)).join(" & ");
  if (js.const !== undefined) return flow(js.const);
  if (js.enum) return js.enum.map(flow).join(" | ");
  const type = typeof js.type === "string" || js.type === undefined ? js.type : js.type.join(" | ");
  switch (type) {
    case "string":
      return (js.pattern !== undefined && PATTERN_NAMES.get(js.pattern)) || "string";
    case "number":
    case "integer":
      return numberType(type, js);
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array": {
      if (js.prefixItems) return `[${js.prefixItems.map((p) => typeOf(p, root)).join(", ")}]`;
      const item = typeof js.items === "object" ? typeOf(js.items, root) : "any";
      return item.includes(" ") ? `(${item})[]` : `${item}[]`;
    }
    case "object":
      return objectType(js, root, variant);
    case undefined:
      return "any";
    default:
      return type;
  }
}

/** `{ type: sliding, size, slide }` for a union variant; `object` for a plain one; `map<string, T>` for a record. */
function objectType(js: JsonSchemaNode, root: JsonSchemaNode, variant: boolean): string {
  if (variant && js.properties && Object.keys(js.properties).length > 0) {
    const req = new Set(js.required ?? []);
    const keys = Object.entries(js.properties).map(([k, v]) => (v.const !== undefined ? `${k}: ${flow(v.const)}` : req.has(k) ? k : `${k}?`));
    return `{ ${keys.join(", ")} }`;
  }
  const extra = js.additionalProperties;
  if (typeof extra === "object" && Object.keys(extra).length > 0) return `map<string, ${typeOf(extra, root)}>`;
  return "object";
}

function numberType(type: string, js: JsonSchemaNode): string {
  const lo = js.exclusiveMinimum ?? (js.minimum !== undefined && js.minimum > -SAFE ? js.minimum : undefined);
  const hi = js.exclusiveMaximum ?? (js.maximum !== undefined && js.maximum < SAFE ? js.maximum : undefined);
  const loOpen = js.exclusiveMinimum !== undefined;
  const hiOpen = js.exclusiveMaximum !== undefined;
  if (lo !== undefined && hi !== undefined) return `${type} in ${loOpen ? "(" : "["}${lo}, ${hi}${hiOpen ? ")" : "]"}`;
  if (lo !== undefined) return `${type} ${loOpen ? ">" : "≥"} ${lo}`;
  if (hi !== undefined) return `${type} ${hiOpen ? "<" : "≤"} ${hi}`;
  return type;
}

/** `#/$defs/condition` → `condition`; a reference to the root (a recursive schema) is the root itself. */
function refName(ref: string): string {
  return ref === "#" ? "(recursive)" : ref.slice(ref.lastIndexOf("/") + 1);
}

/** The definition a `$ref` names (following references to references), or the node itself. */
export function resolveRef(js: JsonSchemaNode, root: JsonSchemaNode): JsonSchemaNode {
  for (let n = js, hops = 0; hops < 16; hops++) {
    const next = n.$ref?.startsWith("#/$defs/") ? root.$defs?.[refName(n.$ref)] : undefined;
    if (next === undefined) return n;
    n = next;
  }
  return js;
}

function paramDoc(name: string, js: JsonSchemaNode, required: boolean, when: string | undefined, root: JsonSchemaNode): ParamDoc {
  const description = js.description ?? resolveRef(js, root).description ?? "";
  return {
    name,
    type: typeOf(js, root),
    required,
    ...(js.default !== undefined ? { default: flow(js.default) } : {}),
    description,
    ...(when !== undefined ? { when } : {}),
    // A reference is a named, possibly recursive type (a rule condition): documented where it is defined.
    fields: js.$ref !== undefined ? [] : nestedFields(js, name, root),
  };
}

function objectFields(js: JsonSchemaNode, prefix: string, when: string | undefined, root: JsonSchemaNode): ParamDoc[] {
  const req = new Set(js.required ?? []);
  return Object.entries(js.properties ?? {}).map(([k, v]) => paramDoc(`${prefix}${k}`, v, req.has(k), when, root));
}

function nestedFields(js: JsonSchemaNode, name: string, root: JsonSchemaNode): ParamDoc[] {
  if (js.properties) return objectFields(js, `${name}.`, undefined, root);
  if (js.type === "array" && typeof js.items === "object") return nestedFields(js.items, `${name}[]`, root);
  const alts = js.anyOf ?? js.oneOf;
  if (!alts?.every((a) => a.properties)) return [];
  const rows: ParamDoc[] = [];
  for (const alt of alts) {
    // The discriminator (a `const` property) labels the variant; without one, the variant's shape does.
    const tag = Object.entries(alt.properties!).find(([, v]) => v.const !== undefined);
    const when = tag ? `${tag[0]}: ${flow(tag[1].const)}` : typeOf(alt, root, true);
    for (const f of objectFields(alt, `${name}.`, when, root)) {
      if (tag && f.name === `${name}.${tag[0]}`) continue;
      const same = rows.findIndex(
        (r) => r.name === f.name && r.type === f.type && r.description === f.description && r.default === f.default && r.required === f.required,
      );
      if (same >= 0 && tag) rows[same] = { ...rows[same]!, when: `${rows[same]!.when}, ${flow(tag[1].const)}` };
      else rows.push(f);
    }
  }
  return rows;
}

/** Every row of a parameter list, depth first: a parameter, then its fields. */
export function flattenParams(params: readonly ParamDoc[]): ParamDoc[] {
  return params.flatMap((p) => [p, ...flattenParams(p.fields)]);
}

/** Whether a string would not read back as itself unquoted inside YAML flow text (`{ a: x }`, `[x]`). */
function needsQuotes(s: string): boolean {
  return s === "" || /[,[\]{}]|: | #|^[\s&*#?|>!%@`'"-]|:$|\s$/.test(s) || /^(true|false|yes|no|null|~|[-+]?(\d[\d_.e+-]*|\.inf|\.nan))$/i.test(s);
}

/** A value as YAML flow text: `0s`, `{ bps: 0 }`, `[]`, `""`. */
export function flow(v: unknown): string {
  if (typeof v === "string") return needsQuotes(v) ? JSON.stringify(v) : v;
  if (Array.isArray(v)) return `[${v.map(flow).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v);
    return entries.length === 0 ? "{}" : `{ ${entries.map(([k, x]) => `${k}: ${flow(x)}`).join(", ")} }`;
  }
  return String(v);
}
