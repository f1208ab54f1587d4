// The digest of one output node, in a form a checkpoint can carry: SHA-256 chained over blocks of BLOCK items
// (d_k = sha256(d_{k-1} ‖ item_{kB} ‖ … ‖ item_{kB+B-1})), and the final digest hashes the last digest with the
// items of the open block. It depends only on the items in order, never on where batches or checkpoints fell, so a
// resumed run, a replay and an uninterrupted live run give the same value. (A streaming hash's state cannot be
// saved; chaining per item would cost one hash object per output.)
import { createHash } from "node:crypto";

/** Items per chained block. */
export const DIGEST_BLOCK = 64;

/** What a checkpoint keeps of a ChainedDigest. */
export interface ChainedDigestState {
  /** Hex digest of the blocks so far ("" before the first). */
  readonly chain: string;
  /** The encoded items of the open block, base64. */
  readonly open: readonly string[];
}

export class ChainedDigest {
  private chain: Buffer;
  private open: Buffer[];

  constructor(state?: ChainedDigestState) {
    this.chain = Buffer.from(state?.chain ?? "", "hex");
    this.open = (state?.open ?? []).map((b) => Buffer.from(b, "base64"));
  }

  update(bytes: Uint8Array): void {
    // Copied: an encoder may reuse its buffer.
    this.open.push(Buffer.from(bytes));
    if (this.open.length === DIGEST_BLOCK) {
      this.chain = this.hashOpen();
      this.open = [];
    }
  }

  /** The digest of every item so far (hex); does not change the state. */
  hex(): string {
    return this.hashOpen().toString("hex");
  }

  save(): ChainedDigestState {
    return { chain: this.chain.toString("hex"), open: this.open.map((b) => b.toString("base64")) };
  }

  private hashOpen(): Buffer {
    const h = createHash("sha256").update(this.chain);
    for (const b of this.open) h.update(b);
    return h.digest();
  }
}
