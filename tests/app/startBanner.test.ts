// The start banner names the NATS server without its credentials.
import { expect, test } from "vitest";
import { runningBanner } from "../../app/startBanner.ts";

test("the banner prints the NATS URL with the password masked", () => {
  const line = runningBanner({
    pipeline: "p",
    runId: "live-p",
    natsUrl: "nats://alice:s3cret@nats.local:4222",
    dbPath: "data/t.duckdb",
    dashboardUrl: "http://127.0.0.1:9464/",
  });
  expect(line).toBe(
    "tickflow: running p (run live-p, NATS nats://alice:***@nats.local:4222, DuckDB data/t.duckdb); dashboard http://127.0.0.1:9464/; Ctrl-C to stop\n",
  );
  expect(line).not.toContain("s3cret");
});
