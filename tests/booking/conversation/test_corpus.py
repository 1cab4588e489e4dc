"""The rider conversation corpus (``bench/conversations``) replays through the engine.

The bench prints the rates; this test only checks that the replay runs, covers the whole
corpus, is deterministic, and stays well above a floor (the rates themselves are in
``bench/RESULTS.md``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).parents[3] / "bench" / "conversations.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_conversations", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_corpus_replays_deterministically_and_well_above_the_floor() -> None:
    """Two replays agree conversation by conversation; at least 200 conversations; rates sane."""
    bench = _bench()
    first = bench.run()
    second = bench.run()
    assert len(first) >= 200
    assert [(r.id, r.right, r.smooth, r.transcript) for r in first] == [
        (r.id, r.right, r.smooth, r.transcript) for r in second
    ]
    right = sum(r.right for r in first) / len(first)
    smooth = sum(r.right and r.smooth for r in first) / len(first)
    assert right >= 0.85
    assert smooth >= 0.75
