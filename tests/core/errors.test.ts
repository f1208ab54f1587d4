// Every error class in the code base is a TickflowError with its own documented code, its class name as `name`,
// and the `cause` it was given. The classes are found by scanning the sources, so a new one cannot be missed.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { EXIT_REFUSED, exitStatusOf, isTickflowError, TickflowError } from "../../core/errors.ts";
import { StateRestoreError } from "../../core/state.ts";
import { CircuitOpenError } from "../../core/circuitBreaker.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const NOT_SOURCE = new Set(["node_modules", "dist", "tests", "docs", "pipelines", "data"]);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith(".") || (dir === ROOT && NOT_SOURCE.has(name))) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

interface Declared {
  readonly name: string;
  readonly base: string;
  readonly file: string;
  readonly exported: boolean;
}

/** Every `class X extends Y` in the sources. */
function declaredClasses(): Declared[] {
  const out: Declared[] = [];
  for (const file of sourceFiles(ROOT)) {
    for (const m of readFileSync(file, "utf8").matchAll(/^(export\s+)?(?:abstract\s+)?class\s+(\w+)(?:<[^>]*>)?\s+extends\s+(\w+)/gm)) {
      out.push({ exported: Boolean(m[1]), name: m[2]!, base: m[3]!, file: relative(ROOT, file) });
    }
  }
  return out;
}

/** The declared classes that are errors: extending Error (or a built-in *Error), or another error class. */
function errorClasses(): Declared[] {
  const all = declaredClasses();
  const isError = new Set(["Error"]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of all)
      if (!isError.has(c.name) && (isError.has(c.base) || (/^[A-Z]\w*Error$/.test(c.base) && !all.some((d) => d.name === c.base)))) {
        isError.add(c.name);
        grew = true;
      }
  }
  return all.filter((c) => isError.has(c.name) && c.name !== "TickflowError");
}

type ErrorClass = (abstract new (...args: never[]) => TickflowError) & { readonly code: string; readonly refusal: boolean };

async function loadErrorClasses(): Promise<Map<string, { cls: ErrorClass; file: string }>> {
  const out = new Map<string, { cls: ErrorClass; file: string }>();
  for (const d of errorClasses()) {
    expect(d.exported, `${d.file}: class ${d.name} must be exported (so callers can test for it)`).toBe(true);
    const mod = (await import(pathToFileURL(join(ROOT, d.file)).href)) as Record<string, unknown>;
    out.set(d.name, { cls: mod[d.name] as ErrorClass, file: d.file });
  }
  return out;
}

/**
 * One instance of each class, built from the given cause. Classes whose constructor takes no cause are in NO_CAUSE.
 * A new error class needs a line here: the test below says so.
 */
const SAMPLES: Record<string, (cause: Error) => Promise<TickflowError>> = {
  DeployRejectedError: async (cause) => new (await import("../../cli/commands/models.ts")).DeployRejectedError("m-v2 was not installed", { cause }),
  LeakageError: async (cause) => new (await import("../../models/leakage.ts")).LeakageError("feature next_close equals the close 1 bar later", { cause }),
  TransformerModelError: async (cause) => new (await import("../../models/transformerClassifier.ts")).TransformerModelError("dir has no model.onnx", { cause }),
  EmptyRecordingError: async (cause) => new (await import("../../replay/optimize/optimize.ts")).EmptyRecordingError("nothing to optimise over", { cause }),
  OptimizeParamError: async (cause) => new (await import("../../replay/optimize/params.ts")).OptimizeParamError("--param x: no such node", { cause }),
  NothingToReplayError: async (cause) => new (await import("../../cli/commands/replay.ts")).NothingToReplayError("nothing to replay: no bars", { cause }),
  StateRestoreError: async (cause) => new (await import("../../core/state.ts")).StateRestoreError("node/0:bars: version 2 in the checkpoint", { cause }),
  StateUnsupportedError: async (cause) => new (await import("../../core/state.ts")).StateUnsupportedError("indicators/0:computeIndicators: trix", { cause }),
  StateCodecError: async (cause) => new (await import("../../core/stateCodec.ts")).StateCodecError("state.broker is a Foo instance", { cause }),
  BackupInvalidError: async (cause) => new (await import("../../replay/backup.ts")).BackupInvalidError("backup b: trades.parquet is damaged", { cause }),
  RestoreTargetExistsError: async (cause) =>
    new (await import("../../replay/backup.ts")).RestoreTargetExistsError("rec.duckdb already holds a recording", { cause }),
  RecordingBehindError: async (cause) =>
    new (await import("../../app/recordingCheck.ts")).RecordingBehindError("run r: consumer r_trades_0 has acknowledged up to 12", { cause }),
  RecordingCorruptError: async (cause) => new (await import("../../app/recordingCheck.ts")).RecordingCorruptError("/data/rec.duckdb", cause),
  LogFormatError: async (cause) => new (await import("../../app/log.ts")).LogFormatError("--log must be one of text, json", { cause }),
  RunExistsError: async (cause) => new (await import("../../replay/runs.ts")).RunExistsError("run r is already recorded", { cause }),
  UnknownRunError: async (cause) => new (await import("../../replay/runFeed.ts")).UnknownRunError("no run r in x.duckdb", { cause }),
  ExportTargetExistsError: async (cause) =>
    new (await import("../../replay/exportRun.ts")).ExportTargetExistsError("export-r/trades.parquet already exists", { cause }),
  RecordingLayoutError: async (cause) =>
    new (await import("../../sinks/duckDbRecorder.ts")).RecordingLayoutError("table signals has columns (a) but this version records (b)", { cause }),
  BinanceFrameError: async () =>
    new (await import("../../sources/exchange/binanceTrades.ts")).BinanceFrameError(17, "p", 'must be a positive number, got "abc"'),
  CircuitOpenError: async () => new (await import("../../core/circuitBreaker.ts")).CircuitOpenError("model deploys: circuit open", 60_000),
  FeatureMismatchError: async () => new (await import("../../models/featureOrder.ts")).FeatureMismatchError("model m1: feature 1 differs", 1),
  HttpPortInUseError: async (cause) => new (await import("../../ops/httpServer.ts")).HttpPortInUseError("HTTP port 9464 on 127.0.0.1 is in use", { cause }),
  InvalidHttpHostError: async (cause) =>
    new (await import("../../io/httpHosts.ts")).InvalidHttpHostError('TICKFLOW_HTTP_HOSTS: "http://x" is not a host name', { cause }),
  IndicatorCheckpointError: async (cause) =>
    new (await import("../../operators/indicators/technicalIndicators.ts")).IndicatorCheckpointError("cannot be checkpointed", { cause }),
  IndicatorInputError: async (cause) =>
    new (await import("../../operators/indicators/barIndicator.ts")).IndicatorInputError("sma: bar close must be a finite number, got NaN", { cause }),
  IndicatorParamsError: async () =>
    new (await import("../../operators/indicators/registry.ts")).IndicatorParamsError("unknown indicator", [{ path: "period", message: "too small" }]),
  IndicatorSpecError: async () => new (await import("../../pipeline/indicatorSpecs.ts")).IndicatorSpecError(["nodes", "ind", "params"], "unknown indicator"),
  IndicatorStateError: async (cause) => new (await import("../../operators/indicators/types.ts")).IndicatorStateError("cannot restore", { cause }),
  JobDeclarationError: async (cause) => new (await import("../../ops/scheduler.ts")).JobDeclarationError('job "compact": invalid cron expression', { cause }),
  MessageValidationError: async () =>
    new (await import("../../schemas/message.ts")).MessageValidationError("trade", "md.trades.AAPL #1", "price", "must be positive"),
  ModelLoadError: async (cause) => new (await import("../../models/onnxScorer.ts")).ModelLoadError("model m.onnx: cannot read file", "m.onnx", { cause }),
  NatsServerNotInstalledError: async () => new (await import("../../io/nats/natsServer.ts")).NatsServerNotInstalledError(),
  NonFiniteOutputError: async () => new (await import("../../models/onnxScorer.ts")).NonFiniteOutputError("row 3 is NaN", 3),
  OnnxVerificationError: async () => new (await import("../../models/onnxExport.ts")).OnnxVerificationError("differs by 0.1", 0.1),
  PipelineDeclarationError: async () =>
    new (await import("../../pipeline/declaration.ts")).PipelineDeclarationError("p.yaml", ["nodes"], "expected a map", 3, 1),
  ReportError: async (cause) => new (await import("../../replay/report.ts")).ReportError("no equity snapshots", { cause }),
  RetriesExhaustedError: async (cause) => new (await import("../../core/retry.ts")).RetriesExhaustedError(5, cause),
  SecretNameError: async (cause) => new (await import("../../io/secrets.ts")).SecretNameError('secret name "NATS" is invalid', { cause }),
  SecretsKeyError: async (cause) =>
    new (await import("../../io/secretsKey.ts")).SecretsKeyError("secrets.json was encrypted under key a, the key in k is b", { cause }),
  SecretsStoreError: async (cause) =>
    new (await import("../../io/secrets.ts")).SecretsStoreError("secret nats/pipeline in secrets.json failed authentication", { cause }),
  SigningKeyError: async (cause) => new (await import("../../sinks/orderSigning.ts")).SigningKeyError("cannot read the key file", { cause }),
  SourceConnectionError: async (cause) => new (await import("../../sources/sourceErrors.ts")).SourceConnectionError("consumer failed", { cause }),
  SourceReadError: async (cause) => new (await import("../../sources/sourceErrors.ts")).SourceReadError("cannot read x.csv", { cause }),
  StrategyRulesError: async () => new (await import("../../trading/strategyRules.ts")).StrategyRulesError("p.yaml", ["enter"], "is required"),
  TrainingDataError: async (cause) => new (await import("../../models/recordedFeatures.ts")).TrainingDataError('no table "features"', { cause }),
  UnknownJobError: async () => new (await import("../../ops/scheduler.ts")).UnknownJobError("nope", ["compact"]),
  UnknownTimeframeError: async () => new (await import("../../schemas/timeframe.ts")).UnknownTimeframeError("7x"),
  WebhookDeliveryError: async (cause) => new (await import("../../sinks/webhookSink.ts")).WebhookDeliveryError("gave up", 5, cause),
  WebhookHttpError: async () => new (await import("../../sinks/webhookSink.ts")).WebhookHttpError("HTTP 503", 503, true),
};

/** Classes whose constructor takes no cause (they are thrown where nothing is wrapped). */
const NO_CAUSE = new Set([
  "BinanceFrameError",
  "CircuitOpenError",
  "FeatureMismatchError",
  "IndicatorParamsError",
  "IndicatorSpecError",
  "MessageValidationError",
  "NatsServerNotInstalledError",
  "NonFiniteOutputError",
  "OnnxVerificationError",
  "PipelineDeclarationError",
  "StrategyRulesError",
  "UnknownJobError",
  "UnknownTimeframeError",
  "WebhookHttpError",
]);

/** The code → class rows of docs/errors.md's table. */
function documentedCodes(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const m of readFileSync(join(ROOT, "docs/errors.md"), "utf8").matchAll(/^\|\s*`([A-Z0-9_.]+)`\s*\|\s*`(\w+)`/gm)) {
    expect(rows.has(m[1]!), `docs/errors.md lists ${m[1]} twice`).toBe(false);
    rows.set(m[1]!, m[2]!);
  }
  return rows;
}

describe("TickflowError", () => {
  it("carries its class's code, its name, and the cause", () => {
    class ExampleError extends TickflowError {
      static override readonly code = "EXAMPLE_FAILED";
      override readonly name = "ExampleError";
    }
    const cause = new Error("ECONNREFUSED");
    const e = new ExampleError("example: cannot connect", { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e).toBeInstanceOf(TickflowError);
    expect([e.code, e.name, e.message, e.cause]).toEqual(["EXAMPLE_FAILED", "ExampleError", "example: cannot connect", cause]);
    expect(String(e)).toBe("ExampleError: example: cannot connect");
    expect(new ExampleError("no cause")).not.toHaveProperty("cause");
    expect(isTickflowError(e)).toBe(true);
    expect(isTickflowError(e, "EXAMPLE_FAILED")).toBe(true);
    expect(isTickflowError(e, "OTHER")).toBe(false);
    expect(isTickflowError(cause)).toBe(false);
    expect(isTickflowError("EXAMPLE_FAILED")).toBe(false);
  });
});

describe("every error class in the code base", () => {
  it("is a TickflowError with its own code, its class name as name, and keeps the cause", async () => {
    const classes = await loadErrorClasses();
    expect(classes.size).toBeGreaterThan(20);
    const byCode = new Map<string, string>();
    for (const [name, { cls, file }] of classes) {
      expect(cls?.prototype, `${file}: ${name}`).toBeInstanceOf(TickflowError);
      expect(Object.hasOwn(cls, "code"), `${file}: ${name} declares no static code of its own`).toBe(true);
      expect(cls.code, `${file}: ${name}.code`).toMatch(/^[A-Z][A-Z0-9]*(?:[_.][A-Z0-9]+)*$/);
      expect(byCode.get(cls.code), `${name} and ${byCode.get(cls.code)} share the code ${cls.code}`).toBeUndefined();
      byCode.set(cls.code, name);

      const sample = SAMPLES[name];
      expect(sample, `add a sample ${name} to SAMPLES in tests/core/errors.test.ts`).toBeDefined();
      const cause = new Error("the underlying failure");
      const e = await sample!(cause);
      expect(e).toBeInstanceOf(cls);
      expect(e.name, `${file}: ${name} must set name = "${name}"`).toBe(name);
      expect(e.code).toBe(cls.code);
      expect(isTickflowError(e, cls.code)).toBe(true);
      if (!NO_CAUSE.has(name)) expect(e.cause, `${name} keeps its cause`).toBe(cause);
    }
    expect(
      Object.keys(SAMPLES).filter((n) => !classes.has(n)),
      "SAMPLES for classes that no longer exist",
    ).toEqual([]);
  });

  it("is listed in docs/errors.md, which lists exactly the codes in use", async () => {
    const inUse = new Map([...(await loadErrorClasses())].map(([name, { cls }]) => [cls.code, name]));
    const documented = documentedCodes();
    expect(
      [...inUse.keys()].filter((c) => !documented.has(c)),
      "codes missing from docs/errors.md",
    ).toEqual([]);
    expect(
      [...documented.keys()].filter((c) => !inUse.has(c)),
      "docs/errors.md lists codes no class has",
    ).toEqual([]);
    for (const [code, name] of inUse) expect(documented.get(code), `docs/errors.md: the class of ${code}`).toBe(name);
  });

  it("that refuses (exit 78) is listed in docs/errors.md's exit status table, which lists exactly those", async () => {
    const refusing = [...(await loadErrorClasses()).values()].filter(({ cls }) => cls.refusal).map(({ cls }) => cls.code);
    const doc = readFileSync(join(ROOT, "docs/errors.md"), "utf8");
    const row = /^\| \*\*78\*\* \|(.*)$/m.exec(doc)?.[1] ?? "";
    const listed = [...row.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!).filter((c) => c !== "EX_CONFIG");
    expect(listed.sort()).toEqual([...new Set(refusing)].sort());
    expect(exitStatusOf(new StateRestoreError("other nodes"))).toBe(EXIT_REFUSED);
    expect(exitStatusOf(new CircuitOpenError("open", 0))).toBe(1);
    expect(exitStatusOf(new Error("plain"))).toBe(1);
  });
});
