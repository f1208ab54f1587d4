import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    setupFiles: ["tests/setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start their own nats-server and DuckDB files; two cores, so keep the pool small.
    maxWorkers: 2,
  },
});
