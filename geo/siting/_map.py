"""Drawing a siting result on a folium map (offline: no tile layer is added)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import AnalysisError
from geo.coverage.maps import new_map
from geo.projection import points_xy

if TYPE_CHECKING:
    import folium

    from geo.siting.result import SitingResult

__all__ = ["draw_siting"]

_LONLAT = "EPSG:4326"
_COVERED, _UNCOVERED, _EXISTING, _NEW, _LINE = "#2e7d32", "#c62828", "#1f3b73", "#ef6c00", "#777"


def draw_siting(
    result: SitingResult,
    m: folium.Map | None = None,
    *,
    show_demand: bool = True,
    show_assignment: bool = True,
    max_lines: int = 5000,
) -> folium.Map:
    """Demand coloured by coverage within the service radius, assignment lines (when there
    are at most ``max_lines``), existing sites and new sites (with their gain rank).

    Parameters
    ----------
    result
        A solved problem that has its candidates layer (and demand layer, for demand and
        lines).
    m
        A map to draw on (default: a new one fitted to the sites, with no tiles).
    show_demand, show_assignment
        Draw the demand layer; draw lines from demand to its site.
    max_lines
        Skip the lines when there would be more.

    Returns
    -------
    folium.Map
    """
    sites = result.to_gdf().to_crs(_LONLAT)
    demand = result.demand
    own_map = m is None
    if m is None:
        m = new_map(demand if demand is not None and len(demand) else sites)
    if demand is not None and show_demand:
        _draw_demand(result, demand.to_crs(_LONLAT), m)
    if demand is not None and show_assignment:
        _draw_lines(result, demand, m, max_lines=max_lines)
    sites["geometry"] = sites.geometry.representative_point()
    tooltip = [
        c
        for c in ("facility_id", "name", "site_status", "rank", "gain", "assigned_weight")
        if c in sites.columns
    ]
    for status, color, label in (
        ("existing", _EXISTING, "Existing sites / 现有设施"),
        ("new", _NEW, "New sites / 新增选址"),
    ):
        part = sites[sites["site_status"] == status]
        if len(part):
            part[[*tooltip, "geometry"]].explore(
                m=m,
                color=color,
                marker_kwds={"radius": 6 if status == "new" else 4, "fill": True},
                style_kwds={"fillOpacity": 0.95},
                tooltip=tooltip,
                name=label,
            )
    if own_map:
        import folium

        folium.LayerControl(collapsed=False).add_to(m)
    return m


def _draw_demand(result: SitingResult, demand: gpd.GeoDataFrame, m: folium.Map) -> None:
    a = result.assignment
    near = a.groupby("demand_id", sort=False)["distance_m"].min()
    dist = near.reindex(result.demand_ids).to_numpy(dtype=np.float64)
    covered = dist <= result.service_radius_m
    label = f"{result.service_radius_m:g} m"
    for mask, color, name in (
        (covered, _COVERED, f"Covered demand ({label}) / 已覆盖需求"),
        (~covered, _UNCOVERED, f"Uncovered demand ({label}) / 未覆盖需求"),
    ):
        part = demand[mask]
        if len(part):
            tooltip = [c for c in ("name", "code") if c in part.columns]
            part[[*tooltip, "geometry"]].explore(
                m=m,
                color=color,
                marker_kwds={"radius": 3},
                style_kwds={"fillOpacity": 0.4, "weight": 0.5},
                tooltip=tooltip or False,
                name=name,
            )


def _draw_lines(
    result: SitingResult, demand: gpd.GeoDataFrame, m: folium.Map, *, max_lines: int
) -> None:
    a = result.assignment.dropna(subset=["facility_id"])
    if len(a) == 0 or len(a) > max_lines or result.candidates is None:
        return
    rows = pd.Index(result.demand_ids).get_indexer(a["demand_id"])
    cols = pd.Index(result.facility_ids).get_indexer(a["facility_id"])
    if (rows < 0).any() or (cols < 0).any():  # pragma: no cover - ids come from one matrix
        raise AnalysisError("assignment ids do not match the layers / 分配编号不符")
    d_xy = points_xy(demand, _LONLAT)[rows]
    f_xy = points_xy(result.candidates, _LONLAT)[cols]
    lines = shapely.linestrings(np.stack([d_xy, f_xy], axis=1))
    gpd.GeoDataFrame(
        {"demand_id": a["demand_id"].astype(str), "facility_id": a["facility_id"].astype(str)},
        geometry=lines,
        crs=_LONLAT,
    ).explore(
        m=m,
        color=_LINE,
        style_kwds={"weight": 1, "opacity": 0.6},
        tooltip=["demand_id", "facility_id"],
        name="Assignment / 分配关系",
    )
