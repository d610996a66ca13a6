"""Drawing analysis results on folium maps (offline: no tile layer is added)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd

from geo.coverage.standards import tier_label

if TYPE_CHECKING:
    import folium

    from geo.coverage.fca import AccessibilityResult
    from geo.coverage.result import CoverageResult

__all__ = ["draw_accessibility", "draw_areas", "draw_coverage", "new_map"]

_TOOLTIP = ("name", "code", "facility_id", "distance_m")


def new_map(frame: gpd.GeoDataFrame) -> folium.Map:
    """An empty folium map fitted to ``frame``, with no tiles (works offline)."""
    import folium

    lonlat = frame.to_crs(4326)
    x0, y0, x1, y1 = lonlat.total_bounds
    m = folium.Map(location=[(y0 + y1) / 2, (x0 + x1) / 2], tiles=None, control_scale=True)
    m.fit_bounds([[y0, x0], [y1, x1]])
    return m


def _draw_facilities(m: folium.Map, facilities: gpd.GeoDataFrame, label: str) -> None:
    points = facilities.copy()
    points["geometry"] = points.geometry.representative_point()
    keep = [
        c
        for c in ("facility_id", "name", "station_id", "meal_point_id", "shelter_id")
        if c in points
    ]
    points[[*keep, "geometry"]].to_crs(4326).explore(
        m=m,
        color="#1f3b73",
        marker_kwds={"radius": 4, "fill": True},
        style_kwds={"fillOpacity": 0.9},
        tooltip=keep or False,
        name=label,
    )


def draw_coverage(
    result: CoverageResult,
    m: folium.Map | None = None,
    *,
    tier_m: float | None = None,
    weight: str | None = None,
    show_facilities: bool = True,
) -> folium.Map:
    """Units coloured by the share of ``weight`` covered at ``tier_m`` (green = all,
    red = none), and the facilities on top."""
    r = result.radius_m if tier_m is None else float(tier_m)
    w = weight or ("population" if "population" in result.weights else "count")
    col = f"{w}_covered_share_{tier_label(r)}"
    units = result.demand
    m = new_map(units) if m is None else m
    tooltip = [c for c in (*_TOOLTIP, col) if c in units.columns]
    units[[*tooltip, "geometry"]].to_crs(4326).explore(
        m=m,
        column=col,
        cmap="RdYlGn",
        vmin=0.0,
        vmax=1.0,
        tooltip=tooltip,
        style_kwds={"fillOpacity": 0.55, "weight": 0.5},
        name=f"Covered share {tier_label(r)} / 覆盖比例 {tier_label(r)}",
    )
    if show_facilities:
        facilities = result.facilities.copy()
        facilities["facility_id"] = result.facility_ids
        _draw_facilities(m, facilities, "Facilities / 设施")
    return m


def draw_accessibility(
    result: AccessibilityResult, m: folium.Map | None = None, *, show_facilities: bool = True
) -> folium.Map:
    """Units coloured by 2SFCA accessibility, and the facilities on top."""
    units = result.demand
    m = new_map(units) if m is None else m
    tooltip = [c for c in ("name", "code", "accessibility", "supply_reached") if c in units]
    units[[*tooltip, "geometry"]].to_crs(4326).explore(
        m=m,
        column="accessibility",
        cmap="YlGnBu",
        tooltip=tooltip,
        style_kwds={"fillOpacity": 0.55, "weight": 0.5},
        name=f"{result.supply} per {result.weight} / 人均{result.supply}",
    )
    if show_facilities:
        _draw_facilities(m, result.facilities, "Facilities / 设施")
    return m


def draw_areas(areas: gpd.GeoDataFrame, m: folium.Map | None = None, **kwargs: Any) -> folium.Map:
    """Service-area polygons on a map."""
    m = new_map(areas) if m is None else m
    areas.to_crs(4326).explore(
        m=m,
        column="radius_m",
        cmap="Blues_r",
        style_kwds={"fillOpacity": 0.3, "weight": 0.5},
        name="Service areas / 服务范围",
        **kwargs,
    )
    return m
