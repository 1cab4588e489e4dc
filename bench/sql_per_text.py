"""SQL statements and CPU per inbound text, in process, on PostgreSQL (no HTTP).

    uv run python bench/sql_per_text.py                 # 200 riders x hello, booking, YES, status

Runs ``services.booking.sms._receive.receive`` (what ``POST /sms/inbound`` runs after the
signature check) for each text on a fresh, seeded PostgreSQL database, counting every statement
sent to the server (SQLAlchemy's ``before_cursor_execute``, savepoints included, plus each
COMMIT and ROLLBACK; the BEGIN is implicit in psycopg and rides on the first statement). Prints
the mean per script step and overall, and the CPU and wall time per text. The webhook's HTTP and
form parsing are not included; ``bench/load.py`` measures those.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from devtools.deployment import ORG_NUMBER, rider_phone, seed_city  # noqa: E402
from devtools.load_run import SCRIPT  # noqa: E402
from services.booking.sms._limits import RateLimit  # noqa: E402
from services.booking.sms._receive import InboundSms, receive  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.models import utcnow  # noqa: E402


def main(argv: list[str]) -> None:
    """Run the script for every rider and print statements, CPU and wall time per text."""
    from webhook import fresh_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--riders", type=int, default=200)
    parser.add_argument("--show", action="store_true", help="print one text's statements")
    args = parser.parse_args(argv)
    statements: list[str] = []
    with fresh_database() as url:
        engine = make_engine(url)
        seed_city(engine, riders=args.riders, drivers=2)

        def executed(*args: Any) -> None:  # (connection, cursor, statement, ...)
            statements.append(str(args[2]).split("\n", 1)[0][:90])

        event.listen(engine, "before_cursor_execute", executed)
        event.listen(engine, "commit", lambda *_: statements.append("COMMIT"))
        event.listen(engine, "rollback", lambda *_: statements.append("ROLLBACK"))
        limit = RateLimit()
        # One warm-up text (organisation cache, first connection) outside the counts.
        receive(engine, InboundSms("SMwarm", "+16475550000", ORG_NUMBER, "hello"),
                now=utcnow(), limit=limit, rng=random.SystemRandom)  # fmt: skip
        per_step: dict[str, list[int]] = {words: [] for words in SCRIPT}
        kinds: Counter[str] = Counter()
        cpu, wall = time.process_time(), time.perf_counter()
        texts = 0
        for words in SCRIPT:
            for rider in range(args.riders):
                statements.clear()
                sms = InboundSms("SM" + uuid.uuid4().hex, rider_phone(rider), ORG_NUMBER, words)
                receive(engine, sms, now=utcnow(), limit=limit, rng=random.SystemRandom)
                per_step[words].append(len(statements))
                kinds.update(s.split()[0] for s in statements)
                texts += 1
                if args.show and rider == 0:
                    print(f"--- {words!r}: {len(statements)} statements")
                    print("\n".join(statements))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        engine.dispose()
    print("| text | statements per text (mean) |")
    print("| --- | ---: |")
    for words, counts in per_step.items():
        print(f"| {words} | {sum(counts) / len(counts):.2f} |")
    total = sum(sum(c) for c in per_step.values())
    print(f"| all | {total / texts:.2f} |")
    print(f"\nby kind: {dict(kinds.most_common())}")
    print(f"CPU {cpu / texts * 1000:.2f} ms and wall {wall / texts * 1000:.2f} ms per text")


if __name__ == "__main__":
    main(sys.argv[1:])
