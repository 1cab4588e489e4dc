"""The pure solver: a problem model, ``solve(problem, params) -> Solution`` and ``check``.

Plain data in, plain data out: nothing here imports the database, HTTP or the queue (the
import-linter contracts in ``pyproject.toml`` keep it so). All OR-Tools calls live in
``_ortools``; the other private modules compile the problem, construct, search and schedule.
"""

from __future__ import annotations

from scheduler.solver.check import Violation, check
from scheduler.solver.errors import LockConflictError, ProblemError, SchedulerError, SolutionError
from scheduler.solver.params import FirstSolution, Metaheuristic, SearchKnobs, SolveParams, Weights
from scheduler.solver.problem import (
    Link,
    Locks,
    Problem,
    Request,
    Stop,
    StopKind,
    Travel,
    Vehicle,
    Window,
)
from scheduler.solver.solution import Route, Solution, Unserved, UnservedReason, Visit
from scheduler.solver.solve import solve, warm_up

__all__ = [
    "FirstSolution",
    "Link",
    "LockConflictError",
    "Locks",
    "Metaheuristic",
    "Problem",
    "ProblemError",
    "Request",
    "Route",
    "SchedulerError",
    "SearchKnobs",
    "Solution",
    "SolutionError",
    "SolveParams",
    "Stop",
    "StopKind",
    "Travel",
    "Unserved",
    "UnservedReason",
    "Vehicle",
    "Violation",
    "Visit",
    "Weights",
    "Window",
    "check",
    "solve",
    "warm_up",
]
