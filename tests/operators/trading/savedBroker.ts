// Reads the PaperBroker state out of a saved broker-operator checkpoint (runResumed's `saved`), so a resume test can
// check where it cut: mid-position, with working orders. Reaches into the cell layout of core/state.ts on purpose.
import { expect } from "vitest";
import { decodeState } from "../../../core/stateCodec.ts";
import { cutsOf, runResumed, type Build, type Feed } from "../../helpers/resume.ts";
import type { PaperBrokerSaved } from "../../../operators/paperBroker.ts";
import type { PaperBrokerState } from "../../../trading/PaperBroker.ts";

/** The broker state of the single cell in `saved` (a cell with merge buffers holds `{ s: state, x: buffers }`). */
export function savedBroker(saved: string): PaperBrokerState {
  const cells = Object.values(decodeState(saved) as Record<string, { data: { s: PaperBrokerSaved<unknown> } }>);
  if (cells.length !== 1) throw new Error(`expected one state cell, got ${cells.length}`);
  return cells[0]!.data.s.broker;
}

/**
 * Checks that a broker operator resumed after any feed gives the uninterrupted run's events, and that several cuts
 * fall while a position is open and orders are working (so the state restored is not a trivial one).
 */
export function expectBrokerResumes<O>(build: Build<O>, feeds: readonly Feed[], whole: readonly O[]): void {
  let midPosition = 0;
  for (const cut of cutsOf(feeds.length)) {
    const resumed = runResumed(build, 2, feeds, cut);
    expect(resumed.cells).toEqual(["node/0:paperBroker"]);
    expect(resumed.outputs, `cut after ${cut} chunks`).toEqual(whole);
    const b = savedBroker(resumed.saved);
    if (b.engine.working.length > 0 && Object.values(b.portfolio.positions).some((p) => p.qty !== 0)) midPosition++;
  }
  expect(midPosition, "some cuts fall while a position is open and orders are working").toBeGreaterThan(3);
}
