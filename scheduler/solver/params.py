"""How to solve: the product's settings (``SolveParams``) and the research knobs of the search.

``SolveParams`` holds what a deployment sets: the time limit, the seed, the objective's weights
and what an arc costs. ``SearchKnobs`` holds how the search spends that time; its defaults are
the product's, and only benchmarks and tuning runs change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Weights:
    """Objective weights; each level must dwarf the next one for a hierarchical objective."""

    #: penalty for leaving a request unserved, per unit of its priority
    unserved: int = 10_000_000
    #: cost of moving a request off the vehicle it had in the previous plan
    moved: int = 3_600
    #: multiplier of the arc cost (travel time or distance, see ``SolveParams.arc_cost``)
    travel: int = 1
    #: cost per unit of route duration (waiting included); also makes OR-Tools schedule
    #: each route exactly (LP) in its filters instead of a quick earliest-time check
    duration: int = 0


FirstSolution = Literal[
    "auto",
    "parallel_cheapest_insertion",
    "local_cheapest_insertion",
    "global_cheapest_arc",
    "path_cheapest_arc",
    "savings",
    "christofides",
]
Metaheuristic = Literal[
    "guided_local_search",
    "simulated_annealing",
    "tabu_search",
    "generic_tabu_search",
    "greedy_descent",
]


@dataclass(frozen=True)
class SearchKnobs:
    """Research knobs: which searches run and how they share the time limit."""

    #: first-solution strategies tried in turn, the best start kept
    first_solutions: tuple[FirstSolution, ...] = ("auto",)
    metaheuristic: Metaheuristic = "guided_local_search"
    #: with several first solutions: run a descent from each (not just build it) and share
    #: of the time limit all starts get together
    descend_starts: bool = False
    start_share: float = 0.25
    #: try to empty routes one by one after the main search (fewest vehicles first)
    reduce_vehicles: bool = False
    #: re-optimise a few neighbouring routes at a time after the main search
    decompose: bool = False
    #: seconds per decomposition sub-problem (of about 25 requests)
    sub_seconds: float = 0.5
    #: what re-optimises a sub-problem: the routing search or CP-SAT (exact-ish, small ones)
    sub_solver: Literal["routing", "cpsat"] = "routing"
    #: share of the time limit given to the whole-problem search when other phases follow
    main_share: float = 0.4
    #: stop after this many improving solutions (a deterministic limit, for tests)
    solution_limit: int | None = None
    #: plan with our own insertion (``_construct``) improved by ruin and recreate (``_ruin``)
    #: instead of OR-Tools: "auto" does so with linked legs or from ``construct_from``
    #: servable requests up
    construct: Literal["auto", "always", "never"] = "auto"
    #: on our own path, problems without linked legs or a previous plan are searched by the
    #: compiled SISR core (``_sisr``) rather than ``_construct``/``_ruin``
    compiled: bool = True
    construct_from: int = 300
    #: ruin and recreate's simulated annealing: start and end temperatures in units of the
    #: plan's mean arc cost per stop (0: keep only plans that cost no more)
    anneal_start: float = 1.0
    anneal_end: float = 0.01
    #: share of ruin and recreate's time spent emptying routes when the vehicle count comes
    #: first (a vehicle's fixed cost outweighs any total of arcs)
    eliminate_share: float = 0.5
    #: otherwise, share of the time spent placing requests left out before annealing
    squeeze_share: float = 0.8
    #: extra OR-Tools RoutingSearchParameters in protobuf text format, for tuning
    backend_options: str = ""
    #: the same for the searches that try to empty a route (vehicle reduction)
    reduce_options: str | None = None


@dataclass(frozen=True)
class SolveParams:
    """What a solve optimises and within which limit. Every solve has a time limit."""

    time_limit: float = 10.0
    seed: int = 0
    weights: Weights = Weights()
    #: what an arc costs: travel time (product) or distance (benchmarks)
    arc_cost: Literal["time", "distance"] = "time"
    #: how the search runs; the defaults are the product's
    search: SearchKnobs = SearchKnobs()
