// The chained digest hashes each item's JSON text as UTF-8: the same bytes as the wire form encodeBytes gives, so
// digests recorded before it hashed text are still what a replay computes; a checkpoint anywhere changes nothing.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChainedDigest, DIGEST_BLOCK } from "../../runtime/chainedDigest.ts";

/** The definition, on the bytes TextEncoder gives (what encodeBytes returns). */
function reference(items: readonly unknown[]): string {
  const enc = new TextEncoder();
  let chain = Buffer.alloc(0);
  let open: Uint8Array[] = [];
  const hash = () => {
    const h = createHash("sha256").update(chain);
    for (const b of open) h.update(b);
    return h.digest();
  };
  for (const item of items) {
    open.push(enc.encode(JSON.stringify(item)));
    if (open.length === DIGEST_BLOCK) {
      chain = hash();
      open = [];
    }
  }
  return hash().toString("hex");
}

describe("ChainedDigest", () => {
  it("equals the byte-wise definition, for any text (non-ASCII, lone surrogates) and any checkpoint", () => {
    const item = fc.record({ id: fc.string({ unit: "binary" }), x: fc.double(), s: fc.string({ unit: "grapheme" }) });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 300 }), fc.nat(), (items, cut) => {
        const at = items.length ? cut % (items.length + 1) : 0;
        let d = new ChainedDigest();
        items.forEach((it, i) => {
          if (i === at) d = new ChainedDigest(JSON.parse(JSON.stringify(d.save())));
          d.update(JSON.stringify(it));
        });
        expect(d.hex()).toBe(reference(items));
      }),
      { numRuns: 200, seed: 5 },
    );
  });
});
