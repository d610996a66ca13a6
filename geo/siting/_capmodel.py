"""The site-and-assignment model of the capacitated LSCP and MCLP, built on the demand rows
within reach (:mod:`geo.siting._assign`), and its solution mapped back to demand rows.

When demand may be split between sites, rows with the same candidate set are merged
(exact for split demand); with single-source assignment every demand row keeps its own
binary pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo.siting._assign import Pairs, assignment_milp, split_solution
from geo.siting._capstart import capacitated_start, lp_guided_start
from geo.siting._reduce import merge_identical_rows
from geo.siting.solve import Milp, MilpSolution, Outcome, Status, relative_gap

if TYPE_CHECKING:
    from geo.siting.problem import SitingProblem

__all__ = ["Model", "best_start", "build_model", "greedy_start", "outcome"]


@dataclass(frozen=True)
class Model:
    milp: Milp
    pairs: Pairs  # rows are model rows
    cover: sp.csr_array  # model rows x candidates
    weights: NDArray[np.float64]  # per model row
    rows: NDArray[np.intp]  # the demand rows in the model
    group: NDArray[np.intp]  # per demand row in ``rows``: its model row


def build_model(problem: SitingProblem, cover: sp.csr_array, *, single_source: bool) -> Model:
    cap = problem.capacity
    assert cap is not None
    is_lscp = problem.kind == "lscp"
    rows = np.flatnonzero(problem.need & (np.diff(cover.indptr) > 0))
    group = np.arange(len(rows))
    sub, wr = sp.csr_array(cover[rows]), problem.weights[rows]
    if not single_source:
        sub, wr, group = merge_identical_rows(sub, wr)
    pairs = Pairs.of(sub, np.arange(sub.shape[0]))
    milp = assignment_milp(
        pairs,
        n_rows=sub.shape[0],
        fixed=problem.fixed,
        pair_cost=np.zeros(len(pairs.row)) if is_lscp else wr[pairs.row],
        site_cost=1.0 if is_lscp else 0.0,
        weights=wr,
        capacity=cap,
        p=problem.p,
        must_serve=is_lscp,
        single_source=single_source,
        maximize=not is_lscp,
    )
    return Model(milp, pairs, sub, wr, rows, group)


def greedy_start(
    model: Model, problem: SitingProblem, sites: NDArray[np.bool_] | None, single: bool
) -> NDArray[np.float64] | None:
    """A feasible solution of ``model`` opening ``sites`` (default: the capacity-aware
    greedy choice), its shares rounded to whole rows when ``single``; ``None`` if the LP
    of the assignment fails."""
    assert problem.capacity is not None
    return capacitated_start(
        model.milp,
        model.pairs,
        model.cover,
        weights=model.weights,
        capacity=problem.capacity,
        fixed=problem.fixed,
        p=int(problem.p or 0),
        single_source=single,
        sites=sites,
    )


def best_start(
    model: Model, problem: SitingProblem, *, time_limit_s: float, mip_gap: float
) -> tuple[NDArray[np.float64] | None, float, float]:
    """The better of the greedy start and the LP-guided one (RENS, within ``time_limit_s``
    to ``mip_gap`` of its restricted bound) of the merged split-demand ``model``.

    Returns
    -------
    (x, value, lp_bound)
        The solution (``None`` when neither found one), its objective (``-inf`` for
        none) and the LP relaxation's objective, a valid upper bound.
    """
    milp = model.milp
    starts = [greedy_start(model, problem, None, False)]
    guided, lp_bound = lp_guided_start(
        milp,
        m=len(problem.fixed),
        p=int(problem.p or 0),
        time_limit_s=time_limit_s,
        mip_gap=mip_gap,
    )
    starts.append(guided)
    values = [-np.inf if x is None else float(milp.cost @ x) for x in starts]
    best = int(np.argmax(values))
    return starts[best], values[best], lp_bound


def outcome(
    problem: SitingProblem,
    model: Model,
    sol: MilpSolution,
    *,
    bound: float,
    solve_s: float,
    mip_gap: float | None = None,
) -> Outcome:
    """Shares back on demand rows (each row of a merged group takes the group's shares).
    With ``mip_gap`` the status is judged from the final gap (phased solves)."""
    w = problem.weights
    is_open, share = split_solution(sol.x, len(problem.fixed))
    order = np.argsort(model.group, kind="stable")
    counts = np.bincount(model.group, minlength=model.cover.shape[0])[model.pairs.row]
    starts = np.searchsorted(model.group[order], model.pairs.row)
    pos = np.repeat(starts, counts) + _ramp(counts)
    rows = model.rows[order[pos]]
    cols = np.repeat(model.pairs.col, counts)
    shares = np.repeat(share, counts)
    keep = shares > 1e-6
    if problem.kind == "lscp":
        objective = float(is_open.sum())
    else:
        objective = float((w[rows] * shares)[keep].sum())
        bound = max(bound, objective)
    gap = relative_gap(objective, bound)
    status: Status = sol.status
    if mip_gap is not None:
        status = "optimal" if gap <= mip_gap + 1e-12 else "time_limit"
    return Outcome(
        is_open,
        status,
        objective,
        bound,
        gap,
        solve_s,
        shares=(rows[keep], cols[keep], shares[keep]),
    )


def _ramp(counts: NDArray[np.intp]) -> NDArray[np.intp]:
    """``[0..c0-1, 0..c1-1, ...]`` for the given counts."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
