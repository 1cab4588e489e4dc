"""Errors raised by the solver.

One hierarchy so callers (the adapter, the CLI) can catch ``SchedulerError`` and show the
message, which always says what was wrong and what to do about it.
"""

from __future__ import annotations


class SchedulerError(Exception):
    """Base class of every error the scheduler raises on purpose."""


class ProblemError(SchedulerError):
    """The problem is malformed (bad index, mismatched seat types, unknown ids)."""


class LockConflictError(SchedulerError):
    """A lock cannot be honoured (e.g. a frozen route breaks a time window)."""


class SolutionError(SchedulerError):
    """A solution is inconsistent in itself (a stop twice, a drop-off before its pick-up...)."""
