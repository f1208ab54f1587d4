// Progress bars for long work (import, replay, training) on stderr; silent when stderr is not a terminal.
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, total?: number, payload?: Record<string, string>): void;
  stop(): void;
}

/**
 * Progress as lines, for a stderr that is not a terminal: one line each time the work crosses another tenth (and at
 * the end), with its exact percentage ("2/6 replays (33%)", not the tenth it crossed).
 */
export function progressLines(label: string, total: number, unit: string, write: (line: string) => void): Progress {
  let lastTenth = -1;
  return {
    update(done, t = total) {
      const tenth = t > 0 ? Math.floor((done / t) * 10) : 0;
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      write(`${label}: ${done}/${t} ${unit} (${t > 0 ? Math.floor((done / t) * 100) : 0}%)`);
    },
    stop() {},
  };
}

export function progressBar(label: string, total: number, unit = "items"): Progress {
  if (!process.stderr.isTTY) return progressLines(label, total, unit, (line) => void process.stderr.write(`${line}\n`));
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
