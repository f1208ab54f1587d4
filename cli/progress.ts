// Progress bars for long work (import, replay, training) on stderr; silent when stderr is not a terminal.
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, total?: number, payload?: Record<string, string>): void;
  stop(): void;
}

export function progressBar(label: string, total: number, unit = "items"): Progress {
  if (!process.stderr.isTTY) {
    let lastPct = -1;
    return {
      update(done, t = total) {
        const pct = t > 0 ? Math.floor((done / t) * 10) * 10 : 0;
        if (pct !== lastPct) {
          lastPct = pct;
          process.stderr.write(`${label}: ${done}/${t} ${unit} (${pct}%)\n`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | eta {eta_formatted} {info}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const t0 = Date.now();
  bar.start(total, 0, { rate: "0", info: "" });
  return {
    update(done, t, payload) {
      if (t !== undefined) bar.setTotal(t);
      bar.update(done, { rate: String(Math.round(done / Math.max(0.001, (Date.now() - t0) / 1000))), ...payload });
    },
    stop: () => bar.stop(),
  };
}
