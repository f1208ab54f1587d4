// `tickflow up` / `tickflow down`: the local nats-server (nats.conf, store under data/nats) and the streams.
import type { Command } from "commander";
import { closeNats, config, connectNats, ensureLocalNats, stopLocalNats } from "../../app/environment.ts";
import { STREAMS } from "../../schemas/kinds.ts";
import { redactUrl } from "../../core/redact.ts";

export function register(program: Command): void {
  program
    .command("up")
    .description("start the local nats-server with JetStream (unless NATS_URL names a running one) and create/update the streams")
    .action(async () => {
      const cfg = config();
      // `up` starts the server for other commands: it keeps running after this one exits, until `tickflow down`.
      const { started } = await ensureLocalNats(cfg, { keep: true });
      const nc = await connectNats(cfg, "admin");
      await closeNats(nc);
      console.log(
        `${started ? "started" : "using"} NATS at ${redactUrl(cfg.natsUrl)}; streams ready: ${STREAMS.map((s) => `${s.name} (${s.subjects.join(", ")})`).join("; ")}`,
      );
    });
  program
    .command("down")
    .description("stop the local nats-server that `tickflow up` started")
    .action(async () => {
      console.log((await stopLocalNats()) ? "nats-server stopped" : "no local nats-server was running (data/nats.pid not found)");
    });
}
