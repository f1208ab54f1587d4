// Shared setup for model tests: temp directories and small trained models.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { trainGradientBoostedTrees } from "../../models/gradientBoostedTrees.ts";
import { trainLogisticRegression } from "../../models/logisticRegression.ts";
import { logisticData, xorData, type SyntheticData } from "./synthetic.ts";

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "tickflow-models-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Opens a DuckDB file, hands a connection to fn, and closes both. */
export async function withConnection<T>(file: string, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    return await fn(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export function smallLogreg(): { model: ReturnType<typeof trainLogisticRegression>; data: SyntheticData } {
  const data = logisticData(2000, [1, -2, 0.5], 0.3, 7, [1, 3, 0.2]);
  return { model: trainLogisticRegression(data.X, data.y, data.n, data.featureNames), data };
}

export function smallGbt(): { model: ReturnType<typeof trainGradientBoostedTrees>; data: SyntheticData } {
  const data = xorData(3000, 13, 2);
  return { model: trainGradientBoostedTrees(data.X, data.y, data.n, data.featureNames, { nTrees: 40, maxDepth: 4 }), data };
}
