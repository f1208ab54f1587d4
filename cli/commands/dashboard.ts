// `tickflow dashboard RUN_ID`: serves the dashboard of a recorded (finished or stopped) run until Ctrl-C.
import type { Command } from "commander";
import { config, openDatabase } from "../../app/environment.ts";
import { resolveHttpPort } from "../../app/liveOps.ts";
import { serveRecordedRun, type RecordedDashboard } from "../../app/recordedDashboard.ts";

export function register(program: Command): void {
  program
    .command("dashboard")
    .description("serve the dashboard of a recorded run (candles, trading state, news, graph) from the recording until Ctrl-C")
    .argument("<run-id>", 'run id of a live or replay run in the recording (tickflow sql "SELECT run_id FROM runs")')
    .option("--http-port <n>", "port on 127.0.0.1 (default TICKFLOW_HTTP_PORT or 9464; 0 = a free port)")
    .action(async (runId: string, o: { httpPort?: string }) => {
      const cfg = config();
      const db = await openDatabase(cfg, { mustExist: true });
      let dash: RecordedDashboard;
      try {
        dash = await serveRecordedRun(db, runId, { port: resolveHttpPort(o.httpPort), config: cfg });
      } finally {
        await db.close(); // everything shown is in memory: the recording is free for other commands
      }
      const d = dash.data;
      console.log(
        `dashboard of run ${runId} (${d.pipeline}, ${d.mode}, ${d.status}): ${dash.url} — ${d.outputs.reduce((n, x) => n + x.items.length, 0)} output rows; Ctrl-C to stop`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void dash.close().then(resolve, resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
