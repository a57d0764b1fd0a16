#!/usr/bin/env python3
"""Known-answer vectors for Buzz-In webhook signatures, made with Python's own hmac module.

Buzz-In signs `<timestamp ms>-<raw body>` with HMAC-SHA256 keyed with the endpoint's secret.
This script is an implementation independent of the crate; tests/webhooks/verify.rs checks
the crate against its output. Regenerate with:

    python3 tests/data/webhook_vectors.py > tests/data/webhook_vectors.json
"""
import base64
import hashlib
import hmac
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
DOC_EXAMPLE = (HERE / "../../../shared/buzzin-api/doc-examples/webhook.passes.permits.issued.json")

CASES = [
    ("ascii secret, small JSON body", b"whsec_test_123", 1751364000000,
     b'{"id":"66ffaa00bb11cc22dd33ee44","event":"passes.permits.expired","data":{}}'),
    ("empty body", b"whsec_test_123", 1751364000000, b""),
    ("timestamp 0", b"k", 0, b"{}"),
    ("largest u64 timestamp", b"k", 2**64 - 1, b"{}"),
    ("secret longer than the SHA-256 block (hashed first)", b"S" * 100, 1782000000123, b'{"a":1}'),
    ("secret of exactly 64 bytes", bytes(range(64)), 1782000000123, b'{"a":1}'),
    ("binary secret", bytes([0, 255, 128, 1, 254]), 1700000000000, b'{"x":"\\u0000"}'),
    ("UTF-8 secret and body", "s\u00e9cr\u00e8t-\u2603".encode(), 1751364000000,
     '{"name":"\u0645\u0642\u0627\u0648\u0644","note":"caf\u00e9"}'.encode()),
    ("body that is not UTF-8", b"whsec", 1751364000000, bytes([0x7b, 0xff, 0xfe, 0x7d])),
    ("body with CRLF and trailing newline", b"whsec", 1751364000001, b'{\r\n  "a": 1\r\n}\n'),
]


def main():
    cases = list(CASES)
    if DOC_EXAMPLE.exists():
        cases.append(("documentation example passes.permits.issued", b"whsec_doc", 1751191500000,
                      DOC_EXAMPLE.read_bytes()))
    # A 2 KiB body, as in the benchmark.
    cases.append(("2 KiB body", b"whsec_bench", 1751364000000, (b'{"pad":"' + b"x" * 2036 + b'"}')))
    vectors = []
    for name, secret, ts, body in cases:
        digest = hmac.new(secret, str(ts).encode() + b"-" + body, hashlib.sha256).digest()
        vectors.append({
            "name": name,
            "secret_hex": secret.hex(),
            "timestamp_ms": str(ts),
            "body_hex": body.hex(),
            "signature_hex": digest.hex(),
            "signature_base64": base64.b64encode(digest).decode(),
        })
    print(json.dumps({"generator": "python3 hmac + hashlib.sha256", "vectors": vectors}, indent=1))


if __name__ == "__main__":
    main()
