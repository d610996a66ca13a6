"""Timing partitioned runs on Dask local clusters for the province benchmarks: start a
cluster as ``scheduler="local"`` does, run once and then the best of a few more, and read
from Dask's task stream what the tasks spent computing and receiving their inputs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from geo.distributed import dask_client

__all__ = ["cluster_line", "on_cluster", "ratio_line", "stages"]


def stages(records: list[dict[str, Any]]) -> dict[str, float]:
    """What the task stream says the tasks spent: computing (sum, largest, and the
    busiest and idlest worker's sums: their balance), receiving their inputs from other
    workers and unpickling them (sum)."""
    spent: dict[str, list[float]] = {"compute": [0.0], "transfer": [0.0], "deserialize": [0.0]}
    busy: dict[str, float] = {}
    for record in records:
        for step in record.get("startstops", ()):
            if step["action"] in spent:
                spent[step["action"]].append(step["stop"] - step["start"])
            if step["action"] == "compute":
                worker = str(record.get("worker"))
                busy[worker] = busy.get(worker, 0.0) + step["stop"] - step["start"]
    return {
        "compute_s": sum(spent["compute"]),
        "largest_s": max(spent["compute"]),
        "busiest_s": max(busy.values(), default=0.0),
        "idlest_s": min(busy.values(), default=0.0),
        "transfer_s": sum(spent["transfer"]) + sum(spent["deserialize"]),
    }


def on_cluster(
    n_workers: int,
    run: Callable[[Any], Any],
    *,
    keep: Callable[[Any], Any] = lambda r: r,
    repeat: int = 1,
) -> tuple[dict[str, float], list[Any]]:
    """Start a local cluster of ``n_workers`` and call ``run(client)``: once (``first``),
    then ``repeat`` times more (``again``: the best of them, on warm workers), timing
    everything; ``keep`` of the first and the last result (built after the clock stops)
    is returned."""
    from distributed import get_task_stream

    fig: dict[str, float] = {}
    kept = []
    t0 = time.perf_counter()
    with dask_client("local", n_workers=n_workers) as client:
        fig["start_s"] = time.perf_counter() - t0
        for i in range(1 + max(repeat, 1)):
            label = "first" if i == 0 else "again"
            with get_task_stream(client) as stream:
                t0 = time.perf_counter()
                result = run(client)
                seconds = time.perf_counter() - t0
            if seconds < fig.get(f"{label}_s", float("inf")):
                fig[f"{label}_s"] = seconds
                fig.update({f"{label}_{k}": v for k, v in stages(stream.data).items()})
            if i in (0, repeat):
                kept.append(keep(result))
    return fig, kept


def cluster_line(title: str, fig: dict[str, float], key: str) -> str:
    """One line of figures of :func:`on_cluster` stored in ``fig`` under prefix ``key``."""
    return (
        f"{title} start-up {fig[key + 'start_s']:.1f} s; first run {fig[key + 'first_s']:.2f} s"
        f" (tasks: compute {fig[key + 'first_compute_s']:.2f} s, largest "
        f"{fig[key + 'first_largest_s']:.2f} s, inputs received by the tasks "
        f"{fig[key + 'first_transfer_s']:.2f} s); again {fig[key + 'again_s']:.2f} s (compute "
        f"{fig[key + 'again_compute_s']:.2f} s, by worker {fig[key + 'again_busiest_s']:.2f}"
        f"-{fig[key + 'again_idlest_s']:.2f} s, inputs {fig[key + 'again_transfer_s']:.2f} s)"
    )


def ratio_line(single_first_s: float, single_s: float, fig: dict[str, float], top: int) -> str:
    """The single process's times over the ``top``-worker cluster's (first runs, warm runs,
    first run with the cluster's start-up) and the warm ``top`` workers over 1."""
    key = f"w{top}_"
    first, again = fig[key + "first_s"], fig[key + "again_s"]
    line = (
        f"ratio single / Dask {top} workers: {single_first_s / first:.2f} (first runs), "
        f"{single_s / again:.2f} (again), "
        f"{single_first_s / (first + fig[key + 'start_s']):.2f} (first run with start-up)"
    )
    if top > 1 and "w1_again_s" in fig:
        line += f"; {top} workers against 1: {fig['w1_again_s'] / again:.2f}"
    return line
