"""Everything a dramatiq worker process loads: the broker and every actor module."""

from __future__ import annotations

from shared.queue import get_broker

broker = get_broker()
