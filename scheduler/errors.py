"""Errors raised by the scheduler outside the solver, on the solver's hierarchy.

Callers catch ``SchedulerError`` for both: the solver's errors (``scheduler.solver.errors``) and
the travel-time sources' ``TravelError``.
"""

from __future__ import annotations

from scheduler.solver.errors import SchedulerError


class TravelError(SchedulerError):
    """The travel-time source failed or answered something unusable."""
