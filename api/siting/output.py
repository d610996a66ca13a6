"""What a solved siting request gives people: the open sites as a layer, the demand with its
coverage before and after, the assignment (as a table and as lines for maps), and the JSON
answer of ``POST /analyses/siting``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from api.geojson import feature_collection
from api.siting.schemas import AssignmentRow, Coverage, GainRow, SitingResponse
from api.siting.service import CAPACITY_COLUMN, SitingRun
from geo.projection import points_xy

__all__ = [
    "COVERAGE_STATES",
    "assignment_frame",
    "assignment_lines",
    "demand_frame",
    "gains_frame",
    "sites_frame",
    "to_response",
]

#: per demand row: covered by existing sites, newly covered by new sites, not covered
COVERAGE_STATES = ("before", "new", "none")
_LONLAT = "EPSG:4326"
_SITE_COLUMNS = ["facility_id", "name", "site_status", "rank", "gain", "assigned_weight"]


def sites_frame(run: SitingRun) -> gpd.GeoDataFrame:
    """The open sites (existing and new) in lon/lat: ``facility_id``, ``name``,
    ``site_status`` (``existing``/``new``), ``rank`` and ``gain`` (new sites, by gain),
    ``assigned_weight``, ``assigned_rows``, ``capacity_units`` (capacitated runs)."""
    gdf = run.result.to_gdf()
    if "name" not in gdf.columns:
        gdf["name"] = None
    gdf["name"] = gdf["name"].astype(object).where(gdf["name"].notna(), gdf["facility_id"])
    gdf["facility_id"] = gdf["facility_id"].astype(str)
    columns = [*_SITE_COLUMNS, "assigned_rows"]
    if CAPACITY_COLUMN in gdf.columns:
        columns.append(CAPACITY_COLUMN)
    out = gpd.GeoDataFrame(gdf[columns], geometry=gdf.geometry, crs=gdf.crs).to_crs(_LONLAT)
    out["rank"] = out["rank"].astype("Int64")
    order = np.lexsort((out["facility_id"].to_numpy(), out["rank"].fillna(1e9).to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def gains_frame(run: SitingRun) -> pd.DataFrame:
    """The new sites in order of their marginal gain (``rank``, ``facility_id``, ``gain``,
    ``covered``, ``covered_share``)."""
    gains = run.result.gains.copy()
    gains["facility_id"] = gains["facility_id"].astype(str)
    return gains


def _main_assignment(run: SitingRun) -> pd.DataFrame:
    """Per demand row: the site carrying the largest share of it (None if unserved)."""
    a = run.result.assignment
    a = a.assign(order=-a["share"]).sort_values(["demand_id", "order"], kind="stable")
    first = a.drop_duplicates("demand_id").set_index("demand_id")
    return first.reindex(run.result.demand_ids)


def demand_frame(run: SitingRun) -> gpd.GeoDataFrame:
    """The demand layer in lon/lat with ``demand_id``, ``weight``, ``facility_id`` and
    ``distance_m`` (its main site), ``covered_before``/``covered_after`` (within the service
    radius of an existing / any open site) and ``coverage`` (one of
    :data:`COVERAGE_STATES`)."""
    demand = run.inputs.demand
    main = _main_assignment(run)
    state = np.where(run.covered_before, "before", np.where(run.covered_after, "new", "none"))
    keep = [c for c in ("name",) if c in demand.columns]
    out = gpd.GeoDataFrame(demand[keep].copy(), geometry=demand.geometry, crs=demand.crs)
    out.insert(0, "demand_id", demand.index.astype(str))
    out["weight"] = (
        run.result.assignment.groupby("demand_id")["weight"]
        .first()
        .reindex(run.result.demand_ids)
        .to_numpy()
    )
    out["facility_id"] = [_id_text(v) for v in main["facility_id"]]
    out["distance_m"] = main["distance_m"].to_numpy(dtype=float)
    out["covered_before"] = run.covered_before
    out["covered_after"] = run.covered_after
    out["coverage"] = state
    return out.to_crs(_LONLAT).reset_index(drop=True)


def assignment_frame(run: SitingRun) -> gpd.GeoDataFrame:
    """The assignment table, one row per demand row and serving site (``facility_id`` None
    for an unserved part), located at a point inside the demand unit (lon/lat)."""
    a = run.result.assignment.copy()
    a["demand_id"] = a["demand_id"].astype(str)
    a["facility_id"] = [_id_text(v) for v in a["facility_id"]]
    demand = run.inputs.demand
    rows = pd.Index(demand.index.astype(str)).get_indexer(a["demand_id"])
    xy = points_xy(demand, _LONLAT)[rows]
    return gpd.GeoDataFrame(a, geometry=shapely.points(xy), crs=_LONLAT)


def assignment_lines(run: SitingRun, *, max_lines: int = 2000) -> gpd.GeoDataFrame:
    """Lines from each served demand row to its main site (the ``max_lines`` longest-served
    by weight when there are more), lon/lat."""
    main = _main_assignment(run).dropna(subset=["facility_id"])
    if len(main) > max_lines:
        main = main.nlargest(max_lines, "weight")
    sites = run.result.candidates
    assert sites is not None
    d_rows = pd.Index(run.result.demand_ids).get_indexer(main.index)
    f_rows = pd.Index(sites.index).get_indexer(main["facility_id"])
    d_xy = points_xy(run.inputs.demand, _LONLAT)[d_rows]
    f_xy = points_xy(sites, _LONLAT)[f_rows]
    lines = (
        shapely.linestrings(np.stack([d_xy, f_xy], axis=1))
        if len(main)
        else np.empty(0, dtype=object)
    )
    return gpd.GeoDataFrame(
        {
            "demand_id": main.index.astype(str),
            "facility_id": main["facility_id"].astype(str).to_numpy(),
            "distance_m": main["distance_m"].to_numpy(dtype=float),
            "weight": main["weight"].to_numpy(dtype=float),
        },
        geometry=lines,
        crs=_LONLAT,
    )


def _id_text(value: Any) -> str | None:
    """An id as text; ``None`` for a missing one (None or NaN)."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _number(value: Any) -> float | None:
    out = float(value)
    return out if math.isfinite(out) else None


def _coverage(run: SitingRun) -> Coverage:
    r = run.result
    total = r.total_weight
    return Coverage(
        before=r.covered_before,
        after=r.covered_after,
        total=total,
        share_before=r.covered_before / total if total > 0 else 0.0,
        share_after=r.covered_after / total if total > 0 else 0.0,
    )


def to_response(run: SitingRun) -> SitingResponse:
    """The JSON answer of ``POST /analyses/siting``."""
    r, req = run.result, run.request
    summary = r.summary()
    a = r.assignment
    assignment = [
        AssignmentRow(
            demand_id=str(d),
            facility_id=_id_text(f),
            distance_m=_number(dist),
            weight=float(w),
            share=float(s),
        )
        for d, f, dist, w, s in zip(
            a["demand_id"], a["facility_id"], a["distance_m"], a["weight"], a["share"], strict=True
        )
    ]
    g = gains_frame(run)
    gains = [
        GainRow(
            rank=int(k), facility_id=f, gain=float(v), covered=float(c), covered_share=float(sh)
        )
        for k, f, v, c, sh in zip(
            g["rank"], g["facility_id"], g["gain"], g["covered"], g["covered_share"], strict=True
        )
    ]
    sites = json.loads(feature_collection(sites_frame(run), id_field="facility_id"))
    return SitingResponse(
        problem=req.problem,
        status=r.status,
        objective=r.objective,
        bound=summary["bound"],
        gap=summary["gap"],
        solve_s=r.solve_s,
        mode=run.mode,
        notes=list(run.notes),
        service_radius_m=req.service_radius_m,
        cutoff_m=req.effective_cutoff_m,
        n_demand=len(r.demand_ids),
        n_candidates=len(run.inputs.candidates),
        n_existing=int(r.is_fixed.sum()),
        n_new=r.n_new,
        coverage=_coverage(run),
        gains=gains,
        sites=sites,
        assignment=assignment,
    )
