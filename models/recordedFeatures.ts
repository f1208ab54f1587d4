// Reads the feature rows a pipeline run recorded (table `features`, written by its duckdb sink) and labels them by SQL,
// so training sees exactly what the operators computed live or in replay and never recomputes a feature.
import type { DuckDBValue } from "@duckdb/node-api";
import { TickflowError } from "../core/errors.ts";

/** The recording holds no feature rows to train on: says what is missing and how to record it. */
export class TrainingDataError extends TickflowError {
  static override readonly code = "TRAINING_DATA_MISSING";
  override readonly name = "TrainingDataError";
}

/** Runs a query and returns plain rows; io/duckdb/database.ts's Database fits. */
export interface QueryRunner {
  query<T = Record<string, unknown>>(sql: string, params?: DuckDBValue[]): Promise<T[]>;
}

/** `fwd_return:<bars>[:<threshold>]`: 1 when close[t+bars]/close[t] - 1 > threshold (default 0), else 0. */
export interface ForwardReturnLabelSpec {
  readonly kind: "fwd_return";
  readonly horizon: number;
  readonly threshold: number;
}

/** Parses `fwd_return:5` or `fwd_return:5:0.001`. */
export function parseLabelSpec(text: string): ForwardReturnLabelSpec {
  const m = /^fwd_return:(\d+)(?::(-?\d*\.?\d+(?:e-?\d+)?))?$/.exec(text.trim());
  if (!m || Number(m[1]) < 1) throw new Error(`label "${text}": expected fwd_return:<bars>[:<threshold>], e.g. fwd_return:5 or fwd_return:5:0.001`);
  return { kind: "fwd_return", horizon: Number(m[1]), threshold: m[2] === undefined ? 0 : Number(m[2]) };
}

export interface RecordedFeaturesRequest {
  readonly runId: string;
  /** The feature node to read (its rows in table `features`); required when the run recorded several. */
  readonly node?: string;
  readonly label: ForwardReturnLabelSpec;
  /** Features to use, in this order. Default: every feature present in at least 90% of the rows, except model outputs. */
  readonly features?: readonly string[];
  /** Feature holding the bar close the label is computed from. Default "close". */
  readonly closeFeature?: string;
  /** Features never chosen by default (model outputs). Default p_up, model.version. */
  readonly exclude?: readonly string[];
}

/** Complete, labelled rows in (time, symbol) order; arrays are aligned. */
export interface RecordedFeatures {
  readonly featureNames: readonly string[];
  /** Row-major rows × featureNames.length. */
  readonly X: Float64Array;
  /** 0/1. */
  readonly y: Float64Array;
  readonly timestamps: BigInt64Array;
  readonly symbols: readonly string[];
  /** close[t+1]/close[t] - 1: what holding one bar after the row earned (for the signal backtest). */
  readonly nextReturn: Float64Array;
  /** The row's close (the label's price), for the leakage guard. */
  readonly closes: Float64Array;
  readonly symbolCount: number;
  /** The feature node the rows come from. */
  readonly node: string;
  /** Where the labels' and the backtest's prices come from: the recorded input bars, or a feature column. */
  readonly priceSource: string;
  /** Features left out of the default set, with why (a constant, a price level, a raw volume). */
  readonly leftOut: readonly { readonly name: string; readonly reason: string }[];
  /** The label horizon in event time: the longest span of `horizon` bars of any symbol, the least a purge must cover. */
  readonly horizonNs: bigint;
  /** Rows recorded for the run, rows dropped for a missing feature (warm-up), rows dropped with no label yet (last bars). */
  readonly rowsRead: number;
  readonly droppedIncomplete: number;
  readonly droppedUnlabeled: number;
}

/**
 * Labels with window functions over each symbol's rows in time order: the label reads only bars after the row
 * (LEAD), and rows whose horizon runs past the recording get no label. Rows are returned ordered by time.
 * @example const data = await loadRecordedFeatures(db, { runId: "r1", label: parseLabelSpec("fwd_return:5") });
 */
export async function loadRecordedFeatures(db: QueryRunner, req: RecordedFeaturesRequest): Promise<RecordedFeatures> {
  const node = await featureNode(db, req);
  const close = req.closeFeature ?? "close";
  const closeExpr = `TRY_CAST(json_extract_string("values", ${sqlString(jsonPath(close))}) AS DOUBLE)`;
  // Labels and the backtest read the recorded input bars' close when every feature row has its bar (a pipeline on
  // imported or recorded bars), so no feature column can be what the label is made of; else the feature close.
  const fromBars = req.closeFeature === undefined && (await barsCoverRows(db, req.runId, node));
  const sql = `
WITH f0 AS (
  SELECT symbol, ts_event, timeframe, out_seq, "values" AS v, ${closeExpr} AS fc
  FROM features WHERE run_id = $1 AND node = $3
), f AS (
  ${
    fromBars
      ? `SELECT f0.symbol, f0.ts_event, f0.out_seq, f0.v, b.close AS c FROM f0 JOIN (SELECT symbol, ts_event, timeframe, any_value(close) AS close FROM bars GROUP BY ALL) b
           ON b.symbol = f0.symbol AND b.ts_event = f0.ts_event AND b.timeframe = f0.timeframe`
      : "SELECT symbol, ts_event, out_seq, v, fc AS c FROM f0"
  }
), l AS (
  SELECT *, LEAD(c, ${req.label.horizon}) OVER w AS c_h, LEAD(c, 1) OVER w AS c_1
  FROM f WINDOW w AS (PARTITION BY symbol ORDER BY ts_event, out_seq)
)
SELECT symbol, epoch_ns(ts_event) AS ts, v, c AS close,
  CASE WHEN c_h IS NULL OR c IS NULL OR c = 0 THEN NULL WHEN c_h / c - 1 > $2 THEN 1 ELSE 0 END AS label,
  CASE WHEN c_1 IS NULL OR c IS NULL OR c = 0 THEN 0 ELSE c_1 / c - 1 END AS next_return
FROM l ORDER BY ts_event, symbol, out_seq`;
  // featureNode checked the table and the run's rows exist.
  const rows = await db.query<{ symbol: string; ts: bigint; v: string; close: number | null; label: number | null; next_return: number }>(sql, [
    req.runId,
    req.label.threshold,
    node,
  ]);
  const parsed = rows.map((r) => JSON.parse(r.v) as Record<string, number>);
  const chosen = req.features ? { names: [...req.features], leftOut: [] } : defaultFeatures(parsed, req.exclude ?? ["p_up", "model.version"], close);
  const featureNames = chosen.names;
  if (featureNames.length === 0) throw new Error(`run ${req.runId}: no feature is present in 90% of the rows; pass --features`);
  const present = new Set(parsed.flatMap((p) => Object.keys(p)));
  const unknown = featureNames.filter((n) => !present.has(n));
  if (unknown.length)
    throw new Error(`run ${req.runId}: feature(s) ${unknown.join(", ")} never recorded; recorded features are ${[...present].sort().join(", ")}`);

  const f = featureNames.length;
  const keep: number[] = [];
  let droppedIncomplete = 0;
  let droppedUnlabeled = 0;
  rows.forEach((r, i) => {
    if (!featureNames.every((n) => Number.isFinite(parsed[i]![n]))) droppedIncomplete++;
    else if (r.label === null) droppedUnlabeled++;
    else keep.push(i);
  });
  const X = new Float64Array(keep.length * f);
  const y = new Float64Array(keep.length);
  const timestamps = new BigInt64Array(keep.length);
  const nextReturn = new Float64Array(keep.length);
  const closes = new Float64Array(keep.length);
  const symbols: string[] = [];
  keep.forEach((i, k) => {
    for (let j = 0; j < f; j++) X[k * f + j] = parsed[i]![featureNames[j]!]!;
    y[k] = Number(rows[i]!.label);
    timestamps[k] = BigInt(rows[i]!.ts);
    nextReturn[k] = Number(rows[i]!.next_return);
    closes[k] = rows[i]!.close ?? Number.NaN;
    symbols.push(rows[i]!.symbol);
  });
  return {
    featureNames,
    node,
    priceSource: fromBars ? "the recorded input bars' close" : `the feature ${close}`,
    leftOut: chosen.leftOut,
    horizonNs: spanOfBars(rows, req.label.horizon),
    X,
    y,
    timestamps,
    symbols,
    nextReturn,
    closes,
    symbolCount: new Set(rows.map((r) => r.symbol)).size,
    rowsRead: rows.length,
    droppedIncomplete,
    droppedUnlabeled,
  };
}

/** Whether every feature row of the node has a recorded input bar of its symbol, time and timeframe. */
async function barsCoverRows(db: QueryRunner, runId: string, node: string): Promise<boolean> {
  const has = await db.query<{ n: bigint }>(`SELECT count(*) n FROM information_schema.tables WHERE table_name = 'bars'`);
  if (Number(has[0]!.n) === 0) return false;
  const r = await db.query<{ rows: bigint; matched: bigint }>(
    `SELECT count(*) AS rows, count(b.symbol) AS matched FROM features f
       LEFT JOIN (SELECT DISTINCT symbol, ts_event, timeframe FROM bars) b ON b.symbol = f.symbol AND b.ts_event = f.ts_event AND b.timeframe = f.timeframe
      WHERE f.run_id = $1 AND f.node = $2`,
    [runId, node],
  );
  return Number(r[0]!.rows) > 0 && r[0]!.matched === r[0]!.rows;
}

/** The node whose rows to read: the one asked for (it must exist), or the run's only feature node. */
async function featureNode(db: QueryRunner, req: RecordedFeaturesRequest): Promise<string> {
  let nodes: string[];
  try {
    nodes = (await db.query<{ node: string }>(`SELECT DISTINCT node FROM features WHERE run_id = $1 ORDER BY node`, [req.runId])).map((r) => r.node);
  } catch (e) {
    if (/Table with name features does not exist/i.test((e as Error).message)) {
      throw new TrainingDataError(
        `no table "features" in the recording: run the pipeline with a duckdb sink on its feature node (e.g. { type: duckdb, in: joined }) first`,
        { cause: e },
      );
    }
    throw e;
  }
  if (nodes.length === 0)
    throw new TrainingDataError(`run ${req.runId} recorded no feature rows; check the run id (SELECT run_id, count(*) FROM features GROUP BY 1)`);
  if (req.node !== undefined) {
    if (!nodes.includes(req.node))
      throw new TrainingDataError(`run ${req.runId} recorded no feature rows of node ${req.node}; its feature nodes: ${nodes.join(", ")}`);
    return req.node;
  }
  if (nodes.length > 1)
    throw new TrainingDataError(
      `run ${req.runId} recorded feature rows of ${nodes.length} nodes (${nodes.join(", ")}): name the one to train on (--node), or rows of several would be read as one`,
    );
  return nodes[0]!;
}

/** Raw bar fields that are levels, not signals: never chosen by default. */
const RAW_LEVELS = new Set(["open", "high", "low", "close", "vwap", "volume", "trades"]);

/**
 * Every feature present in 90 % of the rows, except model outputs, constants, raw bar fields and price levels (a
 * feature whose median |value / close − 1| is below 0.25, e.g. an SMA or a Bollinger band): such columns let a model
 * learn the price's era rather than a signal. Named with `features`, any of them can still be used.
 */
function defaultFeatures(
  rows: readonly Record<string, number>[],
  exclude: readonly string[],
  close: string,
): { names: string[]; leftOut: { name: string; reason: string }[] } {
  const counts = new Map<string, number>();
  for (const r of rows) for (const k of Object.keys(r)) counts.set(k, (counts.get(k) ?? 0) + 1);
  const names: string[] = [];
  const leftOut: { name: string; reason: string }[] = [];
  for (const [k, c] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (c < 0.9 * rows.length || exclude.includes(k)) continue;
    if (RAW_LEVELS.has(k)) {
      leftOut.push({ name: k, reason: "raw bar field" });
      continue;
    }
    const values = rows.map((r) => r[k]).filter((v): v is number => Number.isFinite(v));
    if (values.every((v) => v === values[0])) {
      leftOut.push({ name: k, reason: `constant ${values[0]}` });
      continue;
    }
    const ratios = rows
      .map((r) => (Number.isFinite(r[k]) && (r[close] ?? 0) > 0 ? Math.abs(r[k]! / r[close]! - 1) : NaN))
      .filter((x) => Number.isFinite(x))
      .sort((a, b) => a - b);
    if (ratios.length > 0 && ratios[Math.floor(ratios.length / 2)]! < 0.25) {
      leftOut.push({ name: k, reason: "price level, tracks the close" });
      continue;
    }
    names.push(k);
  }
  return { names, leftOut };
}

/**
 * The longest event time `bars` bars of one symbol span (ts[i + bars] − ts[i], over every symbol and row): a
 * purge of that long covers every label window, weekends and holidays included.
 */
export function spanOfBars(rows: readonly { symbol: string; ts: bigint }[], bars: number): bigint {
  const bySymbol = new Map<string, bigint[]>();
  for (const r of rows) (bySymbol.get(r.symbol) ?? bySymbol.set(r.symbol, []).get(r.symbol)!).push(BigInt(r.ts));
  let longest = 0n;
  for (const ts of bySymbol.values()) for (let i = 0; i + bars < ts.length; i++) if (ts[i + bars]! - ts[i]! > longest) longest = ts[i + bars]! - ts[i]!;
  return longest;
}

/** JSON path for a key that may contain dots (e.g. sentiment.ageSeconds). */
function jsonPath(key: string): string {
  return `$."${key.replace(/"/g, '\\"')}"`;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
