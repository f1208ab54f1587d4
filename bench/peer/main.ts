// CLI for the RxJS baseline (bench/peer/momentumPeer.ts): `node dist/bench/peer/main.js <db-path>` replays a
// recording through the obvious implementation and prints one JSON line of counts and seconds, so the bench can
// time it as a whole process next to `tickflow replay`.
import { runPeer } from "./momentumPeer.ts";

async function main(argv: readonly string[]): Promise<void> {
  const dbPath = argv[0];
  if (!dbPath) throw new Error("usage: node dist/bench/peer/main.js <db-path>");
  const r = await runPeer(dbPath);
  process.stdout.write(`${JSON.stringify({ trades: r.trades, news: r.news, bars: r.bars, signals: r.signals, seconds: r.seconds })}\n`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
