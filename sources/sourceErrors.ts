// Why a source stopped a run: its input could not be read, or its connection could not be kept. Both wrap the
// underlying error as `cause`; the codes let a supervisor tell a bad declaration from a feed worth restarting.
import { TickflowError } from "../core/errors.ts";

/** A file source's input is missing, unreadable, or not in the format it was taken for: check `params.path`. */
export class SourceReadError extends TickflowError {
  static override readonly code = "SOURCE_READ_FAILED";
  override readonly name = "SourceReadError";
}

/** A live source could not open, or lost for good, its connection (a JetStream consumer, the Binance WebSocket). */
export class SourceConnectionError extends TickflowError {
  static override readonly code = "SOURCE_CONNECTION_FAILED";
  override readonly name = "SourceConnectionError";
}
