// Reads the PaperBroker state out of a saved broker-operator checkpoint (runResumed's `saved`), so a resume test can
// check where it cut: mid-position, with working orders. Reaches into the cell layout of core/state.ts on purpose.
import { decodeState } from "../../../core/stateCodec.ts";
import type { PaperBrokerSaved } from "../../../operators/paperBroker.ts";
import type { PaperBrokerState } from "../../../trading/PaperBroker.ts";

/** The broker state of the single cell in `saved` (a cell with merge buffers holds `{ s: state, x: buffers }`). */
export function savedBroker(saved: string): PaperBrokerState {
  const cells = Object.values(decodeState(saved) as Record<string, { data: { s: PaperBrokerSaved<unknown> } }>);
  if (cells.length !== 1) throw new Error(`expected one state cell, got ${cells.length}`);
  return cells[0]!.data.s.broker;
}
