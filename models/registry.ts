// Versioned model registry: one DuckDB table `models` plus the .onnx files in a directory, each row with its file's sha256.
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { listValue, timestampNanosValue, type DuckDBConnection } from "@duckdb/node-api";
import { ModelLoadError, readOnnxModelInfo } from "./onnxScorer.ts";

/** Time source for created_at; the live clock or a replay/test clock. */
export interface RegistryClock {
  /** Now, ns since the epoch. */
  nowNs(): bigint;
}

/** One registered model version. */
export interface ModelRecord {
  /** `<name>-v<version>`. */
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly kind: string;
  /** Feature order the model expects. */
  readonly featureNames: readonly string[];
  /** First and last event time (ns) of the training rows. */
  readonly trainStartNs: bigint;
  readonly trainEndNs: bigint;
  /** Held-out metrics and anything else JSON-serialisable about the evaluation. */
  readonly metrics: Record<string, unknown>;
  /** Absolute path of the registry's copy of the file. */
  readonly filePath: string;
  readonly sha256: string;
  /** Pipeline the model is trained for. */
  readonly pipeline: string;
  readonly createdAtNs: bigint;
}

/** What register() needs beyond the file; id, name, version, kind, features and pipeline come from the file's metadata. */
export interface ModelRegistration {
  /** An .onnx file written by exportOnnx with the id/version from nextVersion(). */
  readonly sourceFile: string;
  readonly trainStartNs: bigint;
  readonly trainEndNs: bigint;
  readonly metrics: Record<string, unknown>;
}

/** Something that runs one operation at a time on a connection, e.g. io/duckdb/database.ts's Database. */
export interface SerialConnection {
  exclusive<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T>;
}

export interface ModelFilter {
  readonly name?: string;
  readonly pipeline?: string;
}

/** The id a model gets for a name and version. */
export function modelId(name: string, version: number): string {
  return `${name}-v${version}`;
}

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS models (
  id            VARCHAR PRIMARY KEY,
  name          VARCHAR NOT NULL,
  version       INTEGER NOT NULL,
  kind          VARCHAR NOT NULL,
  feature_names VARCHAR[] NOT NULL,
  train_start   TIMESTAMP_NS NOT NULL,
  train_end     TIMESTAMP_NS NOT NULL,
  metrics       JSON NOT NULL,
  file_path     VARCHAR NOT NULL,
  sha256        VARCHAR NOT NULL,
  pipeline      VARCHAR NOT NULL,
  created_at    TIMESTAMP_NS NOT NULL,
  UNIQUE (name, version)
)`;

const SELECT = `SELECT id, name, version, kind, feature_names, epoch_ns(train_start) AS train_start,
  epoch_ns(train_end) AS train_end, metrics::VARCHAR AS metrics, file_path, sha256, pipeline,
  epoch_ns(created_at) AS created_at FROM models`;

/**
 * @example const reg = await ModelRegistry.open(connection, { directory: "data/models", clock });
 *          const v = await reg.nextVersion("momentum"); ...export with modelId("momentum", v)...; await reg.register({...});
 */
export class ModelRegistry {
  /** One DuckDB connection must never run two statements at once; every call goes through this chain. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly directory: string;
  /** Set when the registry shares a serialised connection (a Database) instead of owning one. */
  private connection!: DuckDBConnection;

  private constructor(
    private readonly target: DuckDBConnection | SerialConnection,
    directory: string,
    private readonly clock: RegistryClock,
  ) {
    this.directory = resolve(directory);
  }

  /**
   * Creates the table (if needed) and the file directory. `target`: a connection the registry alone uses, or a
   * SerialConnection (a Database) whose queue it then shares with everything else on that file.
   */
  static async open(target: DuckDBConnection | SerialConnection, options: { directory: string; clock: RegistryClock }): Promise<ModelRegistry> {
    const registry = new ModelRegistry(target, options.directory, options.clock);
    await mkdir(registry.directory, { recursive: true });
    await registry.exclusive(() => registry.connection.run(CREATE_TABLE));
    return registry;
  }

  /**
   * The version the next model called `name` will get (1 for a new name). With `pipeline`, versions count across
   * every model of that pipeline too, so the version a scored row carries names one model of its pipeline.
   */
  async nextVersion(name: string, pipeline?: string): Promise<number> {
    return this.exclusive(async () => {
      const r = await this.connection.runAndReadAll("SELECT coalesce(max(version), 0) + 1 AS v FROM models WHERE name = $1 OR pipeline = $2", [
        name,
        pipeline ?? null,
      ]);
      return Number(r.getRowObjectsJS()[0]!["v"]);
    });
  }

  /**
   * Copies the file into the registry directory, hashes it and inserts its row.
   * @throws when the file is not a tickflow model, lacks a pipeline, or its id/version is already registered
   */
  async register(registration: ModelRegistration): Promise<ModelRecord> {
    const bytes = await readFile(registration.sourceFile);
    const info = readOnnxModelInfo(bytes, registration.sourceFile);
    if (info.pipeline === undefined || info.pipeline === "") {
      throw new Error(`register ${registration.sourceFile}: the model has no pipeline in its metadata; export it with meta.pipeline set`);
    }
    if (info.modelId !== modelId(info.name, info.version)) {
      throw new Error(
        `register ${registration.sourceFile}: model_id "${info.modelId}" should be "${modelId(info.name, info.version)}" for name "${info.name}" version ${info.version}`,
      );
    }
    if (registration.trainEndNs < registration.trainStartNs) {
      throw new Error(`register ${info.modelId}: training window ends (${registration.trainEndNs}) before it starts (${registration.trainStartNs})`);
    }
    const record: ModelRecord = {
      id: info.modelId,
      name: info.name,
      version: info.version,
      kind: info.kind,
      featureNames: info.featureNames,
      trainStartNs: registration.trainStartNs,
      trainEndNs: registration.trainEndNs,
      metrics: registration.metrics,
      filePath: join(this.directory, `${info.modelId}.onnx`),
      sha256: info.sha256,
      pipeline: info.pipeline,
      createdAtNs: this.clock.nowNs(),
    };
    return this.exclusive(async () => {
      const existing = await this.connection.runAndReadAll("SELECT id FROM models WHERE id = $1", [record.id]);
      if (existing.currentRowCount > 0) {
        throw new Error(`register ${record.id}: already registered; ask nextVersion("${record.name}") for a new version and re-export`);
      }
      await copyFile(registration.sourceFile, record.filePath);
      try {
        await this.connection.run(`INSERT INTO models VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, [
          record.id,
          record.name,
          record.version,
          record.kind,
          listValue([...record.featureNames]),
          timestampNanosValue(record.trainStartNs),
          timestampNanosValue(record.trainEndNs),
          JSON.stringify(record.metrics),
          record.filePath,
          record.sha256,
          record.pipeline,
          timestampNanosValue(record.createdAtNs),
        ]);
      } catch (error) {
        await rm(record.filePath, { force: true });
        throw error;
      }
      return record;
    });
  }

  /** Registered models, ordered by name then version. */
  async list(filter: ModelFilter = {}): Promise<ModelRecord[]> {
    return this.exclusive(async () => {
      const r = await this.connection.runAndReadAll(
        `${SELECT} WHERE ($1::VARCHAR IS NULL OR name = $1) AND ($2::VARCHAR IS NULL OR pipeline = $2) ORDER BY name, version`,
        [filter.name ?? null, filter.pipeline ?? null],
      );
      return r.getRowObjectsJS().map(toRecord);
    });
  }

  /** The model with this id, or undefined. */
  async get(id: string): Promise<ModelRecord | undefined> {
    return this.exclusive(async () => {
      const r = await this.connection.runAndReadAll(`${SELECT} WHERE id = $1`, [id]);
      const rows = r.getRowObjectsJS();
      return rows.length === 0 ? undefined : toRecord(rows[0]!);
    });
  }

  /** Re-hashes a registered file; throws when it is missing or changed (run before deploying it). */
  async verifyFile(record: ModelRecord): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = await readFile(record.filePath);
    } catch (cause) {
      throw new ModelLoadError(`model ${record.id}: file ${record.filePath} is unreadable`, record.filePath, { cause });
    }
    const sha = createHash("sha256").update(bytes).digest("hex");
    if (sha !== record.sha256) {
      throw new ModelLoadError(
        `model ${record.id}: file ${record.filePath} has sha256 ${sha}, registry says ${record.sha256}; do not deploy it`,
        record.filePath,
      );
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if ("exclusive" in this.target) {
      return this.target.exclusive((c) => {
        this.connection = c;
        return fn();
      });
    }
    this.connection = this.target;
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function toRecord(row: Record<string, unknown>): ModelRecord {
  return {
    id: row["id"] as string,
    name: row["name"] as string,
    version: Number(row["version"]),
    kind: row["kind"] as string,
    featureNames: row["feature_names"] as string[],
    trainStartNs: row["train_start"] as bigint,
    trainEndNs: row["train_end"] as bigint,
    metrics: JSON.parse(row["metrics"] as string) as Record<string, unknown>,
    filePath: row["file_path"] as string,
    sha256: row["sha256"] as string,
    pipeline: row["pipeline"] as string,
    createdAtNs: row["created_at"] as bigint,
  };
}
