// User-written operators: a pipeline node may name a module by path (`op: ./operators-local/myRule.ts`, relative to
// the pipeline file) whose default export is made with `defineOperator` (import it from "tickflow"). The module is
// bundled with esbuild (TypeScript or JavaScript, its own relative imports included), checked against the same
// determinism rules as the built-in operators, and then takes part in compile, live, replay and the lookahead check
// like any catalog entry.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { declarationError, type DeclarationSource, type PipelineDecl } from "../pipeline/declaration.ts";
import type { OperatorDef } from "../pipeline/operatorDef.ts";
import { KINDS } from "../schemas/kinds.ts";

/** An `op:` value that names a module rather than a catalog entry. */
export const isOperatorPath = (op: string): boolean => /^(\.{1,2}\/|\/)/.test(op) || /\.(m?[jt]s)$/.test(op);

/** A module's path as the pipeline file would name it. */
const displayPath = (from: string, path: string): string => {
  const r = relative(from, path);
  return r.startsWith(".") ? r : `./${r}`;
};

/** What a transform may not do: each rule names the construct and why. */
const FORBIDDEN: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /\bDate\.now\s*\(/, what: "reads the wall clock (Date.now())" },
  { pattern: /\bnew\s+Date\s*\(\s*\)/, what: "reads the wall clock (new Date())" },
  { pattern: /\bperformance\.now\s*\(/, what: "reads the wall clock (performance.now())" },
  { pattern: /\bprocess\.hrtime\b/, what: "reads the wall clock (process.hrtime)" },
  { pattern: /\bMath\.random\s*\(/, what: "draws unseeded random numbers (Math.random())" },
  { pattern: /\b(setTimeout|setInterval|setImmediate)\s*\(/, what: "schedules work on the wall clock (timers)" },
  { pattern: /\bfetch\s*\(/, what: "does network I/O (fetch)" },
  { pattern: /\bprocess\.env\b/, what: "reads the environment (process.env): take it as a parameter" },
];
const IO_IMPORT =
  /\bfrom\s+["'](node:)?(fs|fs\/promises|net|http|https|http2|dgram|tls|child_process|cluster|worker_threads|readline)["']|\bfrom\s+["'](@nats-io\/[^"']+|@duckdb\/[^"']+|onnxruntime-node|ws)["']|\bimport\s*\(/;

/** The determinism rules, checked on a module's source: the first violation as `line: what`, or undefined. */
export function determinismViolation(source: string): string | undefined {
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const code = lines[i]!.replace(/\/\/.*$/, "");
    for (const f of FORBIDDEN) if (f.pattern.test(code)) return `line ${i + 1} ${f.what}`;
    if (IO_IMPORT.test(code)) return `line ${i + 1} imports an I/O module (operators do no I/O; a connector does)`;
  }
  return undefined;
}

function looksLikeOperator(x: unknown): x is OperatorDef<unknown> {
  const o = x as Partial<OperatorDef<unknown>> | undefined;
  return (
    !!o &&
    typeof o.name === "string" &&
    Array.isArray(o.inputs) &&
    typeof o.output === "string" &&
    typeof o.build === "function" &&
    typeof (o.params as { safeParse?: unknown } | undefined)?.safeParse === "function"
  );
}

/**
 * Loads every module-path operator a declaration names, keyed by the `op:` value as written.
 * Errors point at the node's `op` line: a missing file, a bundling error, a determinism violation, or an export
 * that is not an operator.
 */
export async function loadUserOperators(decl: PipelineDecl, file: string, src: DeclarationSource): Promise<Map<string, OperatorDef<unknown>>> {
  const out = new Map<string, OperatorDef<unknown>>();
  for (const [node, n] of Object.entries(decl.nodes)) {
    if (!isOperatorPath(n.op) || out.has(n.op)) continue;
    const at = ["nodes", node, "op"];
    const path = resolve(dirname(file), n.op);
    if (!existsSync(path)) throw declarationError(src, at, `cannot find the operator module ${n.op} (looked for ${path})`);
    let bundled: Awaited<ReturnType<typeof build>>;
    try {
      bundled = await build({
        entryPoints: [path],
        bundle: true,
        packages: "external",
        // Only strip types: a tsconfig "paths" entry must not pull the engine itself into the bundle.
        tsconfigRaw: "{}",
        format: "esm",
        platform: "node",
        target: "node20",
        write: false,
        metafile: true,
        logLevel: "silent",
      });
    } catch (e) {
      const first = (e as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors?.[0];
      throw declarationError(
        src,
        at,
        `operator module ${n.op} does not compile: ${first ? `${first.location ? `${first.location.file}:${first.location.line}: ` : ""}${first.text}` : (e as Error).message}`,
      );
    }
    for (const input of Object.keys(bundled.metafile!.inputs)) {
      const bad = determinismViolation(readFileSync(resolve(input), "utf8"));
      if (bad)
        throw declarationError(
          src,
          at,
          `operator module ${displayPath(dirname(file), resolve(input))} ${bad}; operators must give the same outputs live and in replay: take time from event timestamps (tsEvent, watermarks) and randomness from a seeded generator parameter`,
        );
    }
    const code = bundled.outputFiles![0]!.text;
    // Written beside the source so that its package imports ("tickflow", "rxjs") resolve from there.
    const outDir = join(dirname(path), ".tickflow-build");
    mkdirSync(outDir, { recursive: true });
    const outFile = join(outDir, `${basename(path).replace(/\.[^.]+$/, "")}.${createHash("sha256").update(code).digest("hex").slice(0, 12)}.mjs`);
    if (!existsSync(outFile)) writeFileSync(outFile, code);
    let mod: { default?: unknown; operator?: unknown };
    try {
      mod = (await import(/* @vite-ignore */ pathToFileURL(outFile).href)) as typeof mod;
    } catch (e) {
      throw declarationError(src, at, `operator module ${n.op} failed to load: ${(e as Error).message}`);
    }
    const op = mod.default ?? mod.operator;
    if (!looksLikeOperator(op))
      throw declarationError(
        src,
        at,
        `operator module ${n.op} must export default an operator made with defineOperator({ name, summary, inputs, output, params, example, build }) from "tickflow"`,
      );
    for (const k of [...op.inputs.map((i) => i.kind), op.output]) {
      if (!(k in KINDS))
        throw declarationError(src, at, `operator module ${n.op} uses the unknown item kind "${k}"; kinds are: ${Object.keys(KINDS).join(", ")}`);
    }
    out.set(n.op, op);
  }
  return out;
}
