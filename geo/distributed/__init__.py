"""Work beyond one machine: analyses partitioned by district and run on Dask.

:func:`coverage_by_district` splits the demand by district, gives each district the
facilities and the piece of walking network within a safe margin (so the answers equal a
single run), and runs the districts as tasks on ``dask.distributed``: a local cluster by
default, an existing scheduler by address, or in this process (see
:mod:`geo.distributed.cluster`). On a cluster the pieces are written once to a shared
directory and each task reads its district's by key (:mod:`geo.distributed.pieces`), or kept
in a store the workers reach (:mod:`geo.distributed.stored`).
:func:`solve_zones_by_district` solves responsibility zones (责任片区) the same way, one
sub-problem per district (see :mod:`geo.distributed.zones`).
"""

from __future__ import annotations

from geo.distributed import pieces, stored
from geo.distributed.clip import EdgeIndex, clip_network
from geo.distributed.cluster import Scheduler, dask_client, run_tasks
from geo.distributed.coverage import (
    Partition,
    coverage_by_district,
    district_keys,
    min_margin_m,
)
from geo.distributed.zones import (
    ZonePart,
    problem_districts,
    solve_zones_by_district,
    zone_parts,
)

__all__ = [
    "EdgeIndex",
    "Partition",
    "Scheduler",
    "ZonePart",
    "clip_network",
    "coverage_by_district",
    "dask_client",
    "district_keys",
    "min_margin_m",
    "pieces",
    "problem_districts",
    "run_tasks",
    "solve_zones_by_district",
    "stored",
    "zone_parts",
]
