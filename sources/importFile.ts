// Imports a recorded file into the streams and the recording: parse (pure) → publish to JetStream with
// message ids → record each message with the stream sequence its publish got. Malformed rows go to
// dlq.import with file, line and reason; the rest still import. Importing twice stores nothing twice.
import { publishSubject } from "../schemas/kinds.ts";
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { parseMarketFile, type MarketFormat, type RowError } from "./importers/parseMarketFile.ts";
import { parseNewsJsonl } from "./importers/parseNewsFile.ts";
import { JetStreamPublisher, type OutgoingMessage } from "../sinks/jetStreamPublisher.ts";
import { DuckDbRecorder } from "../sinks/duckDbRecorder.ts";
import { BarMessage, barId, type Bar } from "../schemas/bar.ts";
import { TradeMessage, type Trade } from "../schemas/trade.ts";
import { NewsMessage, type News } from "../schemas/news.ts";
import { DeadLetterMessage } from "../schemas/deadLetter.ts";
import type { Database } from "../io/duckdb/database.ts";
import type { AnyMessageType } from "../schemas/message.ts";

export interface ImportOptions {
  readonly file: string;
  readonly symbol?: string;
  readonly format?: MarketFormat | "news";
  readonly timeframe?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ImportResult {
  readonly kind: "bar" | "trade" | "news";
  readonly layout: string;
  readonly timeframe?: string;
  readonly parsed: number;
  /** Messages newly stored in the stream (not duplicates of an earlier import). */
  readonly published: number;
  /** Rows newly recorded in DuckDB. */
  readonly recorded: number;
  readonly errors: readonly RowError[];
}

export async function importFile(nc: NatsConnection, db: Database, o: ImportOptions): Promise<ImportResult> {
  const text = readFileSync(o.file, "utf8");
  const isNews = o.format === "news" || /\.jsonl?$/i.test(o.file);
  let kind: ImportResult["kind"];
  let layout: string;
  let timeframe: string | undefined;
  let errors: RowError[];
  let out: { type: AnyMessageType; items: unknown[]; msgs: OutgoingMessage[] };
  if (isNews) {
    const r = parseNewsJsonl(text, o.file);
    kind = "news";
    layout = "news-jsonl";
    errors = r.errors;
    out = { type: NewsMessage, items: r.news, msgs: r.news.map((n: News) => ({ subject: `news.${n.source}`, data: NewsMessage.encodeBytes(n), msgID: n.id })) };
  } else {
    if (!o.symbol) throw new Error(`${o.file}: --symbol is required for market data files`);
    const r = parseMarketFile(text, { symbol: o.symbol.toUpperCase(), file: o.file, format: o.format as MarketFormat | undefined, timeframe: o.timeframe });
    kind = r.kind;
    layout = r.layout;
    errors = r.errors;
    if (r.kind === "bar") {
      timeframe = r.timeframe;
      out = {
        type: BarMessage,
        items: r.bars,
        msgs: r.bars.map((b: Bar) => ({ subject: publishSubject("bar", b), data: BarMessage.encodeBytes(b), msgID: barId(b) })),
      };
    } else {
      out = {
        type: TradeMessage,
        items: r.trades,
        msgs: r.trades.map((t: Trade) => ({ subject: publishSubject("trade", t), data: TradeMessage.encodeBytes(t), msgID: t.id })),
      };
    }
  }
  const publisher = new JetStreamPublisher(nc, { inFlight: 512 });
  const sink = new DuckDbRecorder(db);
  await sink.ensureRecording([out.type]);
  let published = 0;
  let recorded = 0;
  const step = 10_000;
  for (let i = 0; i < out.msgs.length; i += step) {
    const msgs = out.msgs.slice(i, i + step);
    const acks = await publisher.publishAll(msgs);
    published += acks.filter((a) => !a.duplicate).length;
    const res = await sink.writeInputs(
      out.type,
      out.items.slice(i, i + step) as never[],
      acks.map((a, k) => ({ subject: msgs[k]!.subject, streamSeq: BigInt(a.seq) })),
    );
    recorded += res.inserted;
    o.onProgress?.(Math.min(i + step, out.msgs.length), out.msgs.length);
  }
  if (errors.length) {
    const letters = errors.map((e) => ({
      stage: "import",
      subject: basename(o.file),
      ref: `${o.file}:${e.line}`,
      reason: `${o.file}:${e.line}: ${e.reason}`,
      payload: e.text,
    }));
    await publisher.publishAll(
      letters.map((l) => ({
        subject: "dlq.import",
        data: DeadLetterMessage.encodeBytes(l),
        msgID: `dlq:import:${l.ref}`,
        headers: { "Tickflow-Reason": l.reason.slice(0, 1024) },
      })),
    );
    await sink.writeOutputs(DeadLetterMessage, `import:${basename(o.file)}`, letters, 0n);
  }
  return { kind, layout, timeframe, parsed: out.items.length, published, recorded, errors };
}
