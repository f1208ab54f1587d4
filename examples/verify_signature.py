#!/usr/bin/env python3
"""Reference verifier of tickflow signed messages, version 2 (docs/signing.md), Python 3 standard library only.

    python3 examples/verify_signature.py                   # checks the test vectors of docs/signing.md
    python3 examples/verify_signature.py --vectors v.json  # checks the vectors of a JSON file (a list, as in the doc)

Exit code 0 when every vector verifies, 1 otherwise.
"""

import hashlib
import hmac
import json
import re
import sys

KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SIGNATURE = re.compile(r"^v2=([0-9a-f]{64})$")
TIMESTAMP = re.compile(r"^(0|[1-9][0-9]{0,15})$")
DEFAULT_TOLERANCE_MS = 5 * 60 * 1000


def canonical_bytes(kid, subject, msg_id, timestamp, body):
    """The bytes the HMAC covers: the header lines, then the body exactly as received."""
    for name, value in (("key id", kid), ("subject", subject), ("message id", msg_id), ("timestamp", timestamp)):
        if "\n" in value or value == "":
            raise ValueError("the %s is empty or contains a newline" % name)
    head = "tickflow-v2\n%s\n%s\n%s\n%s\n" % (kid, subject, msg_id, timestamp)
    return head.encode("utf-8") + body


def sign(key, kid, subject, msg_id, timestamp, body):
    """Lowercase hex HMAC-SHA256 (the Tickflow-Signature header is "v2=" + this)."""
    return hmac.new(key, canonical_bytes(kid, subject, msg_id, str(timestamp), body), hashlib.sha256).hexdigest()


class Verifier:
    """Keys by key id, a tolerance, and the message ids seen within it (the replay guard)."""

    def __init__(self, keys, tolerance_ms=DEFAULT_TOLERANCE_MS):
        self.keys = keys
        self.tolerance_ms = tolerance_ms
        self.seen = {}

    def verify(self, subject, headers, body, now_ms):
        """Returns (True, kid) or (False, reason); `subject` is the one the message arrived on."""
        signature = headers.get("Tickflow-Signature")
        if not signature:
            return False, "unsigned"
        m = SIGNATURE.fullmatch(signature)
        kid = headers.get("Tickflow-Key-Id") or ""
        ts = headers.get("Tickflow-Timestamp") or ""
        msg_id = headers.get("Nats-Msg-Id") or ""
        if not m or not KEY_ID.fullmatch(kid) or not TIMESTAMP.fullmatch(ts) or not msg_id or "\n" in msg_id or not subject or "\n" in subject:
            return False, "malformed"
        key = self.keys.get(kid)
        if key is None:
            return False, "unknown-key"
        expected = hmac.new(key, canonical_bytes(kid, subject, msg_id, ts, body), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, m.group(1)):
            return False, "bad-signature"
        t = int(ts)
        if t < now_ms - self.tolerance_ms:
            return False, "expired"
        if t > now_ms + self.tolerance_ms:
            return False, "future"
        floor = now_ms - self.tolerance_ms
        self.seen = {i: s for i, s in self.seen.items() if s >= floor}
        if msg_id in self.seen:
            return False, "replayed"
        self.seen[msg_id] = t
        return True, kid


# The test vectors of docs/signing.md.
VECTORS = [
    {
        "name": "plain",
        "key_hex": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "kid": "k1",
        "subject": "orders.AAPL",
        "msg_id": "ord-1:r0:new:0",
        "timestamp": 1767225600000,
        "body": '{"v":1,"id":"ord-1","symbol":"AAPL","side":"buy","qty":10}',
        "signature": "dabe300943242dcbf959745f3c2a4f016da67871c8a7aa2df2bb43b836602fa4",
    },
    {
        "name": "non-ASCII body",
        "key_hex": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "kid": "k1",
        "subject": "signals.SAP",
        "msg_id": "sig-7",
        "timestamp": 1767225600123,
        "body": '{"v":1,"id":"sig-7","reason":"Gewinnwarnung: Umsatz \u221212 % \u2014 \u00e4rgerlich \U0001f4c9"}',
        "signature": "f7ac7f76dd3483770067696d453a5ab2525821b5005fd36f26cad265c9ed11c3",
    },
    {
        "name": "second key id",
        "key_hex": "8f2c4a6e1b3d5f7091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7a8",
        "kid": "2027-01.b",
        "subject": "fills.MSFT",
        "msg_id": "fill-42",
        "timestamp": 1798761600000,
        "body": '{"v":1,"id":"fill-42","symbol":"MSFT","qty":5,"price":512.25}',
        "signature": "8c6ed3002ffde092030c6492bc43d4bb831af9c0575f741656bcf787ce1c2a5b",
    },
]


def check(vectors):
    """Verifies each vector (signature, and the verdict at its own timestamp); returns the names that fail."""
    failed = []
    for v in vectors:
        key = bytes.fromhex(v["key_hex"])
        body = v["body"].encode("utf-8")
        headers = {
            "Tickflow-Key-Id": v["kid"],
            "Tickflow-Timestamp": str(v["timestamp"]),
            "Tickflow-Signature": "v2=" + v["signature"],
            "Nats-Msg-Id": v["msg_id"],
        }
        ok, reason = Verifier({v["kid"]: key}).verify(v["subject"], headers, body, v["timestamp"])
        if not ok:
            failed.append("%s: %s (expected signature %s)" % (v["name"], reason, sign(key, v["kid"], v["subject"], v["msg_id"], v["timestamp"], body)))
    return failed


def main(argv):
    vectors = VECTORS
    if len(argv) == 3 and argv[1] == "--vectors":
        with open(argv[2], encoding="utf-8") as f:
            vectors = json.load(f)
    elif len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    failed = check(vectors)
    for f in failed:
        print("FAIL " + f)
    if not failed:
        print("%d vector(s) verify" % len(vectors))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
