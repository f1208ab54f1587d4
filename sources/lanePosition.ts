// Where a JetStream lane (one consumer, one subject filter) stands: which stream sequences this run has committed.
// Acks go out in event-time order, not stream order, so "ack floor + 1" is not a safe place to resume: a message
// above the floor may be committed and one below an acked message may not. A LanePosition keeps the floor (every
// message of the lane up to it is committed) and the committed sequences above it; a resumed run restarts the
// consumer at floor + 1 and skips those. Pure: the input loop feeds it deliveries and commits.

/** What a checkpoint keeps of a lane. */
export interface LanePositionState {
  /** Every message of the lane with this stream sequence or lower has been committed (0: none). */
  readonly floor: bigint;
  /** Committed stream sequences above the floor, ascending. */
  readonly above: readonly bigint[];
}

/** How a delivery relates to what the run already did. */
export type Delivery = "new" | "again" | "committed";

export class LanePosition {
  private floor: bigint;
  /**
   * Sequences delivered (or known committed) above the floor, ascending, from `head` on: the floor moves over them as
   * they commit. A head index, not `shift()`: shifting a 50,000-entry array once per committed message made a
   * large batch's commit quadratic (29 % of a live run's profile).
   */
  private open: bigint[] = [];
  private head = 0;
  /** The sequences of `open`, for lookup. */
  private readonly held = new Set<bigint>();
  private readonly done: Set<bigint>;
  private maxDelivered: bigint;

  constructor(state: LanePositionState = { floor: 0n, above: [] }) {
    this.floor = state.floor;
    this.done = new Set(state.above);
    this.maxDelivered = state.floor;
  }

  /** The stream sequence to restart the lane's consumer at. */
  get resumeAt(): bigint {
    return this.floor + 1n;
  }

  /**
   * Classifies a delivery: "new" (first time: process it), "again" (a redelivery of a message this run holds and has
   * not committed yet: ignore it, the first delivery's ack covers it) or "committed" (already processed: ack it).
   */
  deliver(seq: bigint): Delivery {
    if (seq <= this.floor) return "committed";
    if (this.done.has(seq)) {
      if (!this.held.has(seq)) {
        this.hold(seq);
        this.advance();
      }
      return "committed";
    }
    if (this.held.has(seq)) return "again";
    // Below the newest delivery but never delivered (a consumer recreated after a reconnect fills a gap the stale
    // one left): new, not a redelivery.
    this.hold(seq);
    return "new";
  }

  private hold(seq: bigint): void {
    this.held.add(seq);
    if (seq > this.maxDelivered) {
      this.open.push(seq);
      this.maxDelivered = seq;
      return;
    }
    // Rare: keep `open` ascending.
    let i = this.open.length;
    while (i > this.head && this.open[i - 1]! > seq) i--;
    this.open.splice(i, 0, seq);
  }

  commit(seq: bigint): void {
    if (seq <= this.floor) return;
    this.done.add(seq);
    this.advance();
  }

  state(): LanePositionState {
    return { floor: this.floor, above: [...this.done].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) };
  }

  private advance(): void {
    const open = this.open;
    let head = this.head;
    while (head < open.length && this.done.has(open[head]!)) {
      this.floor = open[head++]!;
      this.done.delete(this.floor);
      this.held.delete(this.floor);
    }
    // Drop the passed entries once they are most of the array (amortised O(1) per sequence).
    if (head > 1024 && head * 2 > open.length) {
      this.open = open.slice(head);
      head = 0;
    }
    this.head = head;
  }
}
