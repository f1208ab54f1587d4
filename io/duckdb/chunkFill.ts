// Column-major JS values into DuckDB data chunks at memory speed: numbers, timestamps and booleans are laid out in
// typed arrays and copied into each vector in one call, short strings are written inline, and only strings longer
// than DuckDB's 12-byte inline limit cross into native code one by one. The stock vector setters pay a BigInt
// validity update per cell and a native call per string (most of the appender's time, measured in bench/recorder).
import { DuckDBDataChunk, BIGINT, BOOLEAN, DOUBLE, INTEGER, TIMESTAMP_NS, VARCHAR, type DuckDBType } from "@duckdb/node-api";
import bindings, { type DataChunk, type Vector } from "@duckdb/node-bindings";
import { endianness } from "node:os";
import type { DuckColumnType } from "../../schemas/field.ts";

export type CellValue = string | number | bigint | boolean | null;

const TYPES: Record<DuckColumnType, DuckDBType> = { VARCHAR, DOUBLE, BIGINT, INTEGER, TIMESTAMP_NS, BOOLEAN };
/** Rows per data chunk: DuckDB's vector size. */
export const CHUNK_ROWS = 2048;
/** DuckDB keeps strings of up to 12 bytes inside the 16-byte string_t itself (duckdb.h, duckdb_string_t). */
const INLINE_BYTES = 12;
const STRING_T_BYTES = 16;
/** The inline layout is written byte by byte, little-endian; elsewhere every string goes through DuckDB. */
const INLINE = endianness() === "LE";

/** Reusable buffers for one column type: a chunk's worth of cells, its validity mask, and inline strings. */
interface Scratch {
  readonly f64: Float64Array<ArrayBuffer>;
  readonly i64: BigInt64Array<ArrayBuffer>;
  readonly i32: Int32Array<ArrayBuffer>;
  readonly u8: Uint8Array<ArrayBuffer>;
  readonly strings: Uint8Array<ArrayBuffer>;
  readonly validity: BigUint64Array<ArrayBuffer>;
}

function scratch(): Scratch {
  return {
    f64: new Float64Array(CHUNK_ROWS),
    i64: new BigInt64Array(CHUNK_ROWS),
    i32: new Int32Array(CHUNK_ROWS),
    u8: new Uint8Array(CHUNK_ROWS),
    strings: new Uint8Array(CHUNK_ROWS * STRING_T_BYTES),
    validity: new BigUint64Array(CHUNK_ROWS / 64),
  };
}

/**
 * Fills data chunks of `types` from `columns[c][row]`, rows [0, n), and hands each to `sink` (an appender's
 * appendDataChunk). One chunk is reused: the appender copies what it is given.
 */
export function forEachChunk(types: readonly DuckColumnType[], columns: readonly (readonly CellValue[])[], sink: (chunk: DuckDBDataChunk) => void): void {
  const rowCount = columns[0]?.length ?? 0;
  if (rowCount === 0) return;
  const chunk = DuckDBDataChunk.create(
    types.map((t) => TYPES[t]),
    0,
  );
  const raw = (chunk as unknown as { chunk: DataChunk }).chunk;
  const buf = scratch();
  for (let off = 0; off < rowCount; off += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, rowCount - off);
    bindings.data_chunk_reset(raw);
    bindings.data_chunk_set_size(raw, n);
    for (let col = 0; col < types.length; col++) fillVector(bindings.data_chunk_get_vector(raw, col), types[col]!, columns[col]!, off, n, buf);
    sink(chunk);
  }
}

function fillVector(vec: Vector, type: DuckColumnType, values: readonly CellValue[], off: number, n: number, buf: Scratch): void {
  const words = Math.ceil(n / 64);
  buf.validity.fill(0xffffffffffffffffn, 0, words);
  let nulls = 0;
  const markNull = (r: number): void => {
    buf.validity[r >>> 6]! &= ~(1n << BigInt(r & 63));
    nulls++;
  };
  // One loop per type, not one generic loop with a converter callback: each loop stays monomorphic (one array
  // type, no call per cell) in the recorder's innermost loop.
  switch (type) {
    case "DOUBLE": {
      const a = buf.f64;
      for (let r = 0; r < n; r++) {
        const v = values[off + r];
        if (v === null || v === undefined) {
          a[r] = 0;
          markNull(r);
        } else a[r] = v as number;
      }
      bindings.copy_data_to_vector(vec, 0, a.buffer, 0, n * 8);
      break;
    }
    case "BIGINT":
    case "TIMESTAMP_NS": {
      const a = buf.i64;
      for (let r = 0; r < n; r++) {
        const v = values[off + r];
        if (v === null || v === undefined) {
          a[r] = 0n;
          markNull(r);
        } else a[r] = typeof v === "bigint" ? v : BigInt(v as number);
      }
      bindings.copy_data_to_vector(vec, 0, a.buffer, 0, n * 8);
      break;
    }
    case "INTEGER": {
      const a = buf.i32;
      for (let r = 0; r < n; r++) {
        const v = values[off + r];
        if (v === null || v === undefined) {
          a[r] = 0;
          markNull(r);
        } else a[r] = v as number;
      }
      bindings.copy_data_to_vector(vec, 0, a.buffer, 0, n * 4);
      break;
    }
    case "BOOLEAN": {
      const a = buf.u8;
      for (let r = 0; r < n; r++) {
        const v = values[off + r];
        if (v === null || v === undefined) {
          a[r] = 0;
          markNull(r);
        } else a[r] = v ? 1 : 0;
      }
      bindings.copy_data_to_vector(vec, 0, a.buffer, 0, n);
      break;
    }
    case "VARCHAR": {
      // Inline strings (ASCII, <= 12 bytes) go in one copy; the others are assigned after it, so the copy cannot
      // overwrite the pointers DuckDB writes for them.
      const a = buf.strings;
      a.fill(0, 0, n * STRING_T_BYTES);
      let long: number[] | undefined;
      for (let r = 0; r < n; r++) {
        const v = values[off + r];
        if (v === null || v === undefined) {
          markNull(r);
          continue;
        }
        const s = v as string;
        if (INLINE && s.length <= INLINE_BYTES && writeInlineAscii(a, r * STRING_T_BYTES, s)) continue;
        (long ??= []).push(r);
      }
      bindings.copy_data_to_vector(vec, 0, a.buffer, 0, n * STRING_T_BYTES);
      if (long) for (const r of long) bindings.vector_assign_string_element(vec, r, values[off + r] as string);
      break;
    }
  }
  if (nulls > 0) {
    bindings.vector_ensure_validity_writable(vec);
    bindings.copy_data_to_vector_validity(vec, 0, buf.validity.buffer, 0, words * 8);
  }
}

/** Writes `s` as an inlined string_t at `at` (uint32 length, then the bytes) when it is ASCII; false otherwise. */
function writeInlineAscii(a: Uint8Array, at: number, s: string): boolean {
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const code = s.charCodeAt(i);
    if (code > 0x7f) {
      a.fill(0, at + 4, at + 4 + i);
      return false;
    }
    a[at + 4 + i] = code;
  }
  a[at] = len; // little-endian uint32; len <= 12
  return true;
}
