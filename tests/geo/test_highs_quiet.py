"""HiGHS's version banner never reaches the output (a fresh process: it prints once)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_first_solver_of_a_process_prints_nothing() -> None:
    code = (
        "import highspy, numpy as np\n"
        "from geo._highs import new_highs\n"
        "h = new_highs()\n"
        "h.addVar(0.0, 1.0)\n"
        "h.run()\n"
        "print('solved', h.getModelStatus() == highspy.HighsModelStatus.kOptimal)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout == "solved True\n"
    assert "HiGHS" not in done.stderr
    plain = subprocess.run(
        [sys.executable, "-c", "import highspy; highspy.Highs()"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Running HiGHS" in plain.stdout  # what new_highs keeps out


def test_a_zones_solve_after_a_siting_solve_keeps_its_lp() -> None:
    """HiGHS sizes one task scheduler per process at its first run; a later model asking for
    another thread count does not run at all. A siting solve first (as in a server that
    answered one) must leave the next zones solve its LP bound and its plan."""
    zones = (
        "from bench.synthetic_zones import synthetic_province\n"
        "from geo.zones import ZoneProblem, solve\n"
        "u, s = synthetic_province(4, 100, 8, n_streets=2, placement='spread', slack=0.05)\n"
        "plan = solve(ZoneProblem.from_geodataframes(u, s, k=16), best_effort=True)\n"
        "print(plan.info.lp_bound, plan.cost)\n"
    )
    siting = (
        "import numpy as np\n"
        "from geo.costs import CostMatrix\n"
        "from geo.siting import LSCP\n"
        "rng = np.random.default_rng(3)\n"
        "a, b = rng.uniform(0, 3000, (300, 2)), rng.uniform(0, 3000, (80, 2))\n"
        "d = np.hypot(*(a[:, None] - b[None]).transpose(2, 0, 1))\n"
        "LSCP.from_cost_matrix(CostMatrix.from_dense(d, cutoff_m=700.0)).solve()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(code: str) -> tuple[float, float]:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        bound, cost = done.stdout.split()[-2:]
        return float(bound), float(cost)

    alone = run(zones)
    after_siting = run(siting + zones)
    assert alone[0] == alone[0]  # not NaN: the LP ran
    assert after_siting == alone


def test_an_option_highs_does_not_take_is_refused_loudly() -> None:
    """A misspelt or missing option (an older HiGHS) raises instead of leaving the solve on
    settings nobody chose; the options the siting proof relies on are all taken."""
    from geo._highs import new_highs, set_options
    from geo.siting._presolve import _MIP_OPTIONS

    h = new_highs()
    set_options(h, _MIP_OPTIONS)
    with pytest.raises(ValueError, match="mip_heuristic_efort"):
        set_options(h, {"mip_heuristic_efort": 0.0})
    with pytest.raises(ValueError, match="mip_rel_gap"):
        set_options(h, {"mip_rel_gap": -1.0})
