"""Coverage runs on a store's layers, shared by ``POST /analyses/coverage``,
``mzgis coverage`` and ``/maps/coverage``.

The walking network comes from the caller's ``network_source`` (the app's
:class:`api.network.service.NetworkCache` over HTTP, :func:`api.network.service.store_network`
in the CLI), called in network mode only.

Names in a request (layers, columns, the supply column) are checked against the store before
anything is computed, and a mistake is refused naming the field that holds it
(:class:`api.errors.InvalidBodyError`, HTTP 422).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from api.catalog import Catalog, require_column
from api.coverage.schemas import MAX_RADIUS_M, CoverageRequest, CoverageResponse, Level
from api.errors import InvalidBodyError, InvalidParameterError
from api.geojson import feature_collection
from api.network.quality import (
    DetourCheck,
    detour_check,
    detour_note,
    straight_run_detours,
    suspect_note,
    suspect_records,
)
from api.network.service import NetworkSource, store_network
from api.tables import records
from geo._errors import NetworkError
from geo.costs import Mode
from geo.coverage import (
    AccessibilityResult,
    CoverageResult,
    coverage,
    resolve_tiers,
    two_step_fca,
)
from geo.network import Network

__all__ = [
    "FACILITY_KINDS",
    "MAX_RADIUS_M",
    "CoverageRun",
    "FcaSpec",
    "check_tiers",
    "coverage_answer",
    "network_extent_m",
    "parse_tiers",
    "run_coverage",
]

logger = logging.getLogger("mzgis.api")

#: layer kinds whose features may be facilities, and the polygon kinds among them
FACILITY_KINDS = ("stations", "meal_points", "shelters", "cemeteries")
_POLYGON_FACILITIES = ("shelters", "cemeteries")
_POINT_TYPES = ("Point", "MultiPoint")


def _bad(field: str, value: object, en: str, zh: str) -> InvalidBodyError:
    return InvalidBodyError(field, value, en, zh)


# -- coverage on a store's layers ---------------------------------------------------------


@dataclass(frozen=True)
class CoverageRun:
    """A coverage request run on a store: the layers used, the result, the 2SFCA result
    (when asked), the network (network mode) and notes for the reader."""

    facilities_layer: str
    demand_layer: str
    result: CoverageResult
    accessibility: AccessibilityResult | None
    network: Network | None
    notes: tuple[str, ...] = ()
    detours: DetourCheck | None = None


def _check_facilities(frame: gpd.GeoDataFrame, kind: str, name: str) -> None:
    if len(frame) == 0:
        raise _bad("facilities", name, "the facility set is empty", "设施集合为空（没有要素）")
    types = set(frame.geom_type.dropna())
    allowed = _POINT_TYPES + (("Polygon", "MultiPolygon") if kind in _POLYGON_FACILITIES else ())
    if not types <= set(allowed):
        shown = ", ".join(sorted(types))
        raise _bad(
            "facilities",
            name,
            f"facilities must be points, layer {name!r} holds {shown}",
            f"设施图层须为点要素，图层 {name} 为 {shown}",
        )


def _numeric_column(frame: gpd.GeoDataFrame, column: str, field: str, layer: str) -> None:
    """Refuse ``column`` (named by request ``field``) unless ``frame`` has it as numbers."""
    require_column(frame, column, field=field, layer=layer)
    if not pd.api.types.is_numeric_dtype(frame[column]):
        raise _bad(field, column, "the column is not numeric", "该字段不是数值")


def _filter_status(frame: gpd.GeoDataFrame, status: Sequence[str] | None) -> gpd.GeoDataFrame:
    if not status:
        return frame
    if "status" not in frame.columns:
        raise _bad("status", list(status), "the facilities have no status", "设施图层没有状态字段")
    kept = frame[frame["status"].isin(list(status))]
    if len(kept) == 0 and len(frame):
        found = ", ".join(sorted(map(str, frame["status"].dropna().unique())))
        en = f"the facility set is empty: no facility has this status (have: {found})"
        raise _bad("status", list(status), en, f"设施集合为空：没有该状态的设施（现有：{found}）")
    return kept


def network_extent_m(network: Network) -> float:
    """The diagonal of the network's bounding box (m): no walk within it is longer than
    the whole network, so a radius beyond it is a mistake."""
    lo, hi = network.node_xy.min(axis=0), network.node_xy.max(axis=0)
    return float(np.hypot(*(hi - lo)))


def _check_reach(network: Network, radius_m: float, field: str) -> None:
    extent = network_extent_m(network)
    if radius_m > extent:
        raise _bad(
            field,
            radius_m,
            f"beyond the walking network, which spans {extent:,.0f} m",
            f"超出步行路网范围（路网跨度 {extent:,.0f} 米）",
        )


def check_tiers(
    tiers_m: Sequence[float],
    *,
    field: str = "tiers_m",
    error: type[InvalidParameterError] = InvalidBodyError,
) -> tuple[float, ...]:
    """Tiers as given, refused (``error`` naming ``field``) unless each is positive, at most
    :data:`MAX_RADIUS_M`, and strictly increasing (``300, 500, 1000``)."""
    tiers = tuple(float(r) for r in tiers_m)
    if not tiers:
        raise error(field, [], "give at least one radius", "至少给出一个服务半径")
    if not all(np.isfinite(r) and 0 < r <= MAX_RADIUS_M for r in tiers):
        en = f"every radius must be > 0 and at most {MAX_RADIUS_M:,.0f} m"
        raise error(field, list(tiers), en, f"服务半径须大于 0 且不超过 {MAX_RADIUS_M:,.0f} 米")
    if any(b <= a for a, b in itertools.pairwise(tiers)):
        en = "tiers must be strictly increasing, e.g. 300,500,1000"
        raise error(field, list(tiers), en, "分级服务半径须严格递增，如 300,500,1000")
    return tiers


def parse_tiers(text: str, *, field: str = "tiers") -> tuple[float, ...]:
    """``"300,500,1000"`` → ``(300.0, 500.0, 1000.0)``, checked as :func:`check_tiers`
    (a bad value is a bad parameter: :class:`api.errors.InvalidParameterError`)."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        en, zh = (
            "give radii in metres, e.g. 300,500,1000",
            "请给出以米为单位的半径，如 300,500,1000",
        )
        raise InvalidParameterError(field, text, en, zh) from None
    return check_tiers(values, field=field, error=InvalidParameterError)


@dataclass(frozen=True)
class FcaSpec:
    """A 2SFCA request: the facilities' ``supply`` column, the demand ``weight`` column
    and the catchment ``radius_m`` (default: the service radius)."""

    supply: str
    weight: str = "elderly_60_plus"
    radius_m: float | None = None


def run_coverage(
    catalog: Catalog,
    *,
    facilities: str,
    demand: str = "communities",
    radius_m: float | None = None,
    tiers_m: Sequence[float] | None = None,
    mode: Mode = "network",
    weights: Sequence[str] | None = None,
    status: Sequence[str] | None = None,
    fca: FcaSpec | None = None,
    network_source: NetworkSource = store_network,
) -> CoverageRun:
    """Check the names of a request against ``store``, then run coverage (and 2SFCA).

    Parameters
    ----------
    catalog
        The layers of the store.
    facilities, demand
        Layer names (the facilities' layer kind picks the default tiers).
    radius_m, tiers_m, mode, weights
        See :func:`geo.coverage.coverage`.
    status
        Keep only facilities with one of these ``status`` values (e.g. ``["运营"]``).
    fca
        Also compute 2SFCA accessibility.
    network_source
        Gives the walking network of the store (called in network mode only).

    Raises
    ------
    api.errors.InvalidBodyError
        A name the store does not have, an empty or non-point facility set, a radius
        beyond the walking network.
    geo._errors.AnalysisError
        The analysis cannot run on these inputs.
    """
    if tiers_m is not None:
        check_tiers(tiers_m)
    if radius_m is not None:
        check_tiers([radius_m], field="radius_m")
    fac = _filter_status(catalog.read(facilities, field="facilities"), status)
    kind = catalog.kind(facilities)
    _check_facilities(fac, kind, facilities)
    dem = catalog.read(demand, field="demand")
    for i, col in enumerate(weights or ()):
        _numeric_column(dem, col, f"weights.{i}", demand)
    if fca is not None:
        _numeric_column(fac, fca.supply, "fca.supply", facilities)
        _numeric_column(dem, fca.weight, "fca.weight", demand)
    tiers = resolve_tiers(kind, radius_m=radius_m, tiers_m=tiers_m)
    net: Network | None = None
    if mode == "network":
        net = network_source(catalog.store)
        _check_reach(net, tiers[-1], "tiers_m" if tiers_m else "radius_m")
    result = coverage(
        dem,
        fac,
        kind=kind,
        radius_m=radius_m,
        tiers_m=tiers_m,
        mode=mode,
        network=net,
        weights=list(weights) if weights else None,
    )
    access = None
    if fca is not None:
        access = two_step_fca(
            dem,
            fac,
            supply=fca.supply,
            weight=fca.weight,
            kind=kind,
            mode=mode,
            network=net,
            radius_m=fca.radius_m if fca.radius_m is not None else result.radius_m,
        )
    check = _detour_check(catalog, result, dem, fac, network_source)
    return CoverageRun(facilities, demand, result, access, net, _notes(result, mode, check), check)


def _detour_check(
    catalog: Catalog,
    result: CoverageResult,
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    network_source: NetworkSource,
) -> DetourCheck | None:
    """The detours of the demand units: from the walking run itself, else measured on the
    store's network when it has one (a straight-line run then states what walking does
    here)."""
    if result.network is not None:
        return detour_check(result.detour_ratios(), result.network.report.source)
    try:
        net = network_source(catalog.store)
    except (InvalidBodyError, NetworkError):
        return None
    return straight_run_detours(net, demand, facilities)


def _notes(result: CoverageResult, mode: Mode, check: DetourCheck | None) -> tuple[str, ...]:
    notes = [detour_note(check, mode=mode)]
    if mode == "network" and check is not None:
        notes.append(suspect_note(check))
    lost = int((~result.nearest.facility_reachable).sum())
    if lost:
        notes.append(
            f"{lost} facilities are too far from the walking network and serve no one"
            f" / {lost} 处设施距步行路网过远，未计入服务"
        )
    return tuple(n for n in notes if n)


# -- the HTTP answer ------------------------------------------------------------------


def _geojson(gdf: Any) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(feature_collection(gdf))
    return parsed


def _accessibility(run: CoverageRun, levels: list[Level]) -> dict[str, Any] | None:
    access = run.accessibility
    if access is None:
        return None
    table = access.demand
    people = float(table[access.weight].fillna(0).sum())
    handed = float(table["supply_reached"].sum())
    summary = {
        "supply": access.supply,
        "weight": access.weight,
        "radius_m": access.radius_m,
        "supply_reached": handed,
        "accessibility": handed / people if people > 0 else None,
    }
    return {
        "summary": summary,
        "rollups": {level: records(access.rollup(level)) for level in levels},
        "per_demand": records(table),
    }


def coverage_answer(run: CoverageRun, body: CoverageRequest) -> CoverageResponse:
    """Shape a run into the response of ``body``."""
    result = run.result
    per_demand: list[dict[str, Any]] | dict[str, Any] | None = None
    if body.per_demand == "table":
        per_demand = records(result.demand)
    elif body.per_demand == "geojson":
        per_demand = _geojson(result.demand)
    areas = None
    notes = list(run.notes)
    if body.service_areas:
        how = body.areas_how
        if how == "nearest" and result.mode == "euclidean":  # circles: Voronoi split fails
            how = "each"  # on facilities sharing a position
            notes.append("straight-line service areas are whole circles / 直线模式服务范围为完整圆")
        areas = _geojson(result.service_areas(how=how))
    gaps = result.gaps(level=body.gap_level).head(body.gaps)
    return CoverageResponse(
        facilities=run.facilities_layer,
        demand=run.demand_layer,
        summary=result.summary(),
        network=run.network.report.to_dict() if run.network is not None else None,
        rollups={lv: records(result.rollup(lv, geometry=False)) for lv in body.levels},
        gaps=records(gaps),
        per_demand=per_demand,
        service_areas=areas,
        accessibility=_accessibility(run, body.levels),
        network_suspects=_suspects(run),
        notes=notes,
    )


def _suspects(run: CoverageRun) -> list[dict[str, Any]] | None:
    """The units whose walking result likely crosses a network gap (walking runs)."""
    if run.result.mode != "network" or run.detours is None:
        return None
    return suspect_records(run.detours, run.result.demand_points.units)
