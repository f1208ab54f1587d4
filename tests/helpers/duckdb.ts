// Test helper: a real DuckDB file in a temporary directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Database } from "../../io/duckdb/database.ts";

export function tempDir(prefix = "tickflow-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function withDatabase<T>(fn: (db: Database, path: string) => Promise<T>): Promise<T> {
  const { dir, cleanup } = tempDir();
  const path = join(dir, "test.duckdb");
  const db = await Database.open(path);
  try {
    return await fn(db, path);
  } finally {
    await db.close();
    cleanup();
  }
}
