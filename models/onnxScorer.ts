// Serves an exported model with onnxruntime-node: checks the file and its declared feature order at load,
// scores row-major float64 batches and refuses non-finite outputs.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { checkFeatureOrder } from "./featureOrder.ts";
import { METADATA_KEYS, ONNX_INPUT, ONNX_OUTPUT } from "./onnxExport.ts";
import { TickflowError } from "../core/errors.ts";

const { onnx } = onnxProto;

/** What a model file says about itself (from ONNX metadata_props), plus the file's hash. */
export interface OnnxModelInfo {
  readonly modelId: string;
  readonly name: string;
  readonly version: number;
  readonly kind: string;
  readonly pipeline?: string;
  readonly featureNames: readonly string[];
  readonly sha256: string;
}

/** The file could not be read, is not a valid ONNX model, or is not a tickflow model. */
export class ModelLoadError extends TickflowError {
  static override readonly code = "MODEL_LOAD_FAILED";
  override readonly name = "ModelLoadError";
  constructor(
    message: string,
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The model produced NaN or ±Infinity for some row. */
export class NonFiniteOutputError extends TickflowError {
  static override readonly code = "MODEL_OUTPUT_NOT_FINITE";
  override readonly name = "NonFiniteOutputError";
  constructor(
    message: string,
    readonly row: number,
  ) {
    super(message);
  }
}

export interface OnnxScorerOptions {
  /** Features the caller supplies, in order; must equal the model's declared feature_names. */
  readonly featureNames: readonly string[];
  /** When set, the file's model_id must equal it (guards against a mislabelled file). */
  readonly expectedModelId?: string;
  /** When set, the file's sha256 must equal it (the registry's hash). */
  readonly expectedSha256?: string;
  /** onnxruntime intra-op threads. Default 1: the pipeline has other work for the second core. */
  readonly intraOpNumThreads?: number;
}

/**
 * Reads identity and feature order from model bytes without starting a session.
 * @throws ModelLoadError when the bytes are not an ONNX model written by exportOnnx
 */
export function readOnnxModelInfo(bytes: Uint8Array, source: string): OnnxModelInfo {
  let proto: InstanceType<typeof onnx.ModelProto>;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new ModelLoadError(`model ${source}: not a valid ONNX protobuf (${(cause as Error).message}); re-export it`, source, { cause });
  }
  const meta = new Map(proto.metadataProps.map((p) => [p.key ?? "", p.value ?? ""]));
  const missing = [METADATA_KEYS.featureNames, METADATA_KEYS.modelId, METADATA_KEYS.version].filter((k) => !meta.has(k));
  if (proto.graph == null || missing.length > 0) {
    throw new ModelLoadError(
      `model ${source}: not a tickflow model (missing ${proto.graph == null ? "graph" : `metadata ${missing.join(", ")}`}); export it with exportOnnx`,
      source,
    );
  }
  let featureNames: unknown;
  try {
    featureNames = JSON.parse(meta.get(METADATA_KEYS.featureNames)!);
  } catch (cause) {
    throw new ModelLoadError(`model ${source}: metadata feature_names is not JSON`, source, { cause });
  }
  if (!Array.isArray(featureNames) || !featureNames.every((x) => typeof x === "string")) {
    throw new ModelLoadError(`model ${source}: metadata feature_names must be a JSON array of strings`, source);
  }
  const pipeline = meta.get(METADATA_KEYS.pipeline);
  return {
    modelId: meta.get(METADATA_KEYS.modelId)!,
    name: meta.get(METADATA_KEYS.name) ?? "",
    version: Number(meta.get(METADATA_KEYS.version)),
    kind: meta.get(METADATA_KEYS.kind) ?? "",
    ...(pipeline !== undefined ? { pipeline } : {}),
    featureNames,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

/**
 * An onnxruntime session over one exported model.
 * @example const s = await OnnxScorer.load("models/m-v3.onnx", { featureNames }); const p = await s.score(rows, n);
 */
export class OnnxScorer {
  private constructor(
    readonly info: OnnxModelInfo,
    readonly source: string,
    private readonly session: ort.InferenceSession,
  ) {}

  /** Reads, checks and opens `path`. Every failure is a ModelLoadError or FeatureMismatchError. */
  static async load(path: string, options: OnnxScorerOptions): Promise<OnnxScorer> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw new ModelLoadError(`model ${path}: cannot read file (${(cause as Error).message})`, path, { cause });
    }
    return OnnxScorer.fromBytes(bytes, path, options);
  }

  /** Same as load, from bytes already in memory (e.g. fetched from an object store); `source` names them in errors. */
  static async fromBytes(bytes: Uint8Array, source: string, options: OnnxScorerOptions): Promise<OnnxScorer> {
    const info = readOnnxModelInfo(bytes, source);
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== info.sha256) {
      throw new ModelLoadError(
        `model ${source}: sha256 ${info.sha256} differs from the expected ${options.expectedSha256}; the file changed since it was registered`,
        source,
      );
    }
    if (options.expectedModelId !== undefined && options.expectedModelId !== info.modelId) {
      throw new ModelLoadError(`model ${source}: file declares model_id "${info.modelId}", expected "${options.expectedModelId}"`, source);
    }
    checkFeatureOrder(info.modelId, info.featureNames, options.featureNames);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: options.intraOpNumThreads ?? 1,
        interOpNumThreads: 1,
        executionMode: "sequential",
      });
    } catch (cause) {
      throw new ModelLoadError(`model ${source}: onnxruntime rejected it (${(cause as Error).message})`, source, { cause });
    }
    const input = session.inputMetadata.find((m) => m.name === ONNX_INPUT);
    const problem =
      input === undefined || !session.outputNames.includes(ONNX_OUTPUT)
        ? `needs input "${ONNX_INPUT}" and output "${ONNX_OUTPUT}", has inputs [${session.inputNames.join(", ")}] and outputs [${session.outputNames.join(", ")}]`
        : input.isTensor && input.type !== "float64"
          ? `input "${ONNX_INPUT}" is ${input.type}, expected float64`
          : input.isTensor && input.shape.length === 2 && typeof input.shape[1] === "number" && input.shape[1] !== info.featureNames.length
            ? `input "${ONNX_INPUT}" has ${input.shape[1]} columns but feature_names lists ${info.featureNames.length}`
            : undefined;
    if (problem !== undefined) {
      await session.release();
      throw new ModelLoadError(`model ${source}: ${problem}`, source);
    }
    return new OnnxScorer(info, source, session);
  }

  get featureCount(): number {
    return this.info.featureNames.length;
  }

  /**
   * P(y = 1) for n rows (row-major, features in the declared order).
   * @throws NonFiniteOutputError naming the first row whose output is NaN or infinite
   */
  async score(rows: Float64Array, n: number): Promise<Float64Array> {
    const f = this.featureCount;
    if (rows.length !== n * f) {
      throw new Error(`model ${this.info.modelId}: score got ${rows.length} numbers for ${n} rows of ${f} features`);
    }
    if (n === 0) return new Float64Array(0);
    const result = await this.session.run({ [ONNX_INPUT]: new ort.Tensor("float64", rows, [n, f]) });
    const data = result[ONNX_OUTPUT]!.data as Float64Array;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(data[i]!)) {
        throw new NonFiniteOutputError(
          `model ${this.info.modelId}: output for row ${i} of ${n} is ${data[i]}; check that row's features (first: ${Array.from(rows.subarray(i * f, i * f + Math.min(f, 4))).join(", ")})`,
          i,
        );
      }
    }
    return data;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
