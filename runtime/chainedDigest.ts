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
  /** The open block's items as their JSON text: hashed as UTF-8, the bytes of their wire form. */
  private open: string[];

  constructor(state?: ChainedDigestState) {
    this.chain = Buffer.from(state?.chain ?? "", "hex");
    this.open = (state?.open ?? []).map((b) => Buffer.from(b, "base64").toString("utf8"));
  }

  /**
   * Adds one item by its wire text (MessageType.encodeText). Hashing the text as UTF-8 hashes exactly the bytes
   * encodeBytes gives (JSON.stringify escapes lone surrogates), without encoding and copying them first (a
   * tenth of an output-heavy replay's time).
   */
  update(text: string): void {
    this.open.push(text);
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
    return { chain: this.chain.toString("hex"), open: this.open.map((t) => Buffer.from(t, "utf8").toString("base64")) };
  }

  private hashOpen(): Buffer {
    const h = createHash("sha256").update(this.chain);
    for (const t of this.open) h.update(t, "utf8");
    return h.digest();
  }
}
