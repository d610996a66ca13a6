"""HiGHS's version banner never reaches the output (a fresh process: it prints once)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
