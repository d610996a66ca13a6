"""Responsibility zones (责任片区) on a store, partitioned by district and solved on Dask:
the service behind ``mzgis zones solve --by district --scheduler ...``.

The problem is built exactly as :func:`api.zones.service.build_problem` builds it; the
district of every unit comes from the units layer (``district_code``, else the prefix of
its ``street_code`` or 12-digit ``code``: the demo's communities carry ``code`` and
``street_code``, whose first 6 digits are the district code), then
:func:`geo.distributed.solve_zones_by_district` solves one task per district and returns one
plan of the whole problem.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from api.catalog import Catalog
from api.errors import InvalidParameterError
from api.network.service import NetworkSource
from api.zones.schemas import ZoneRequest
from api.zones.service import build_problem
from geo.coverage.demand import level_groups
from geo.distributed import solve_zones_by_district as _solve_by_district
from geo.zones import ZonePlan, ZoneProblem

__all__ = ["LEVELS", "solve_zones_by_district", "unit_districts"]

#: partition levels named by ``by`` (any other value names a column of the units layer)
LEVELS = ("district", "street")


def unit_districts(
    catalog: Catalog, request: ZoneRequest, problem: ZoneProblem, *, by: str = "district"
) -> NDArray[np.object_]:
    """The partition label of every unit of ``problem`` (built from ``request``): its
    district or street code (``by="district"``/``"street"``), or the value of column ``by``
    of the units layer.

    Raises
    ------
    api.errors.InvalidParameterError
        ``by`` names no column of the units layer, or the layer has no division codes.
    """
    units = catalog.read(request.units_layer, field="units_layer")
    if len(units) != problem.n_units:  # pragma: no cover - the layer changed meanwhile
        msg = "the units layer changed while solving"
        raise InvalidParameterError("units_layer", request.units_layer, msg, "分区单元图层已变化")
    if by not in LEVELS:
        if by not in units.columns:
            cols = ", ".join(c for c in units.columns if c != units.geometry.name)
            en, zh = (
                f"use district, street or a column of the units layer ({cols})",
                ("请用 district、street 或分区单元图层的字段"),
            )
            raise InvalidParameterError("--by", by, en, zh)
        return np.asarray(units[by].fillna("").astype(str).to_numpy(dtype=object))
    found = level_groups(pd.DataFrame(units.drop(columns=units.geometry.name)))[by]
    if found is None:
        raise InvalidParameterError(
            "--by",
            by,
            f"the units layer has no {by} or lower division codes",
            f"分区单元图层没有{'区县' if by == 'district' else '街道'}或下级区划代码",
        )
    which, distinct = found
    return np.asarray(distinct[which], dtype=object)


def solve_zones_by_district(
    catalog: Catalog,
    request: ZoneRequest,
    *,
    by: str = "district",
    scheduler: Any = "local",
    n_workers: int = 2,
    timeout_s: float = 10.0,
    network_source: NetworkSource | None = None,
) -> tuple[ZonePlan, tuple[str, ...]]:
    """Build the request's problem and solve it partitioned by ``by`` on Dask.

    Parameters
    ----------
    catalog, request, network_source
        As :func:`api.zones.service.solve_zones`.
    by
        ``"district"`` (default), ``"street"`` or a column of the units layer: the label
        that splits the problem (see :func:`unit_districts`).
    scheduler
        ``"local"`` (a local cluster of ``n_workers`` processes, closed after the run),
        ``"none"`` or ``None`` (in this process), or a scheduler address such as
        ``"tcp://host:8786"``.
    n_workers, timeout_s
        Workers of a local cluster; seconds to try to reach a scheduler address.

    Returns
    -------
    (ZonePlan, notes)
        The plan of the whole problem (version 1) and notes on its inputs, as
        :func:`api.zones.service.solve_zones`.

    Raises
    ------
    geo.zones.BandInfeasibleError
        Unless ``request.best_effort``: stations that cannot meet their band.
    geo._errors.SchedulerError
        An unknown scheduler or an address that cannot be reached.
    api.errors.InvalidParameterError
        A bad ``by``; :class:`api.errors.InvalidBodyError` for a bad request field.
    """
    problem, notes = build_problem(catalog, request, network_source=network_source)
    labels = unit_districts(catalog, request, problem, by=by)
    plan = _solve_by_district(
        problem,
        labels,
        scheduler=None if scheduler == "none" else scheduler,
        n_workers=n_workers,
        timeout_s=timeout_s,
        best_effort=request.best_effort,
    )
    return plan, notes
