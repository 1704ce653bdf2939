"""The push service double as its own process for the bench, so decrypting does not share the senders' GIL.

``python -m bench.push_double <vapid public key> <n> <dir>``: writes ``<dir>/subscriptions.json`` (n
subscriptions), then serves until stdin closes, then writes ``<dir>/stats.json``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from tests.pushdouble import PushDouble


def main(public_key: str, n: int, out: Path) -> None:
    with PushDouble(public_key) as push:
        subscriptions = [push.new_subscription() for _ in range(n)]
        (out / "subscriptions.json").write_text(json.dumps(subscriptions))
        sys.stdin.read()  # the bench closes our stdin when the senders are done
        deliveries = push.deliveries
        per_endpoint = Counter(d.endpoint for d in deliveries)
        stats = {"delivered": len(deliveries), "distinct": len(per_endpoint),
                 "most_to_one": max(per_endpoint.values(), default=0), "attempts": push.attempts,
                 "rejections": [r.reason for r in push.rejections][:5], "rejected": len(push.rejections),
                 "received_at": sorted(d.received_at for d in deliveries)}
        (out / "stats.json").write_text(json.dumps(stats))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
