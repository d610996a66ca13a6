"""Drawing a zone plan on a folium map."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import folium
import geopandas as gpd
import networkx as nx

if TYPE_CHECKING:
    from geo.zones.plan import ZonePlan

__all__ = ["draw_plan", "zone_colours"]

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_FIELDS = ("station_id", "workload", "capacity", "n_units", "band", "longest_walk_m")
_ALIASES = (
    "Station / 驿站",
    "Workload / 工作量",
    "Capacity / 服务能力",
    "Units / 单元数",
    "Band / 区间",
    "Longest walk (m) / 最远步行（米）",
)


def zone_colours(plan: ZonePlan) -> dict[int, str]:
    """A colour per station so that touching zones differ (greedy colouring, deterministic)."""
    p, z = plan.problem, plan.assignment
    ea, eb = p.edges
    za, zb = z[ea], z[eb]
    keep = (za >= 0) & (zb >= 0) & (za != zb)
    g = nx.Graph()
    g.add_nodes_from(range(p.n_stations))
    g.add_edges_from(zip(za[keep].tolist(), zb[keep].tolist(), strict=True))
    colour = nx.greedy_color(g, strategy="largest_first")
    return {int(j): PALETTE[c % len(PALETTE)] for j, c in colour.items()}


def draw_plan(plan: ZonePlan, *, m: folium.Map | None = None, **kwargs: Any) -> folium.Map:
    """Zones as coloured polygons with a bilingual tooltip, stations as dots.

    ``kwargs`` go to :class:`folium.GeoJson` for the zones.
    """
    zones = plan.zones_gdf()
    colours = zone_colours(plan)
    index = plan.problem.station_index(zones["station_id"].to_numpy(dtype=object))
    zones["colour"] = [colours[int(j)] for j in index]
    zones["longest_walk_m"] = zones["longest_walk_m"].round(0)
    zones["workload"] = zones["workload"].round(1)
    shown = zones[[*_FIELDS, "colour", "geometry"]].to_crs(4326)
    shown["station_id"] = shown["station_id"].astype(str)
    if m is None:
        x0, y0, x1, y1 = shown.total_bounds
        m = folium.Map(tiles=None, control_scale=True)
        m.fit_bounds([[y0, x0], [y1, x1]])
    folium.GeoJson(
        shown.to_json(),
        name="Zones / 责任片区",
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": "#333333",
            "weight": 0.6,
            "fillOpacity": 0.55,
        },
        tooltip=folium.GeoJsonTooltip(fields=list(_FIELDS), aliases=list(_ALIASES)),
        **kwargs,
    ).add_to(m)
    _draw_stations(plan, m)
    return m


def _draw_stations(plan: ZonePlan, m: folium.Map) -> None:
    geom = plan.problem.station_geometry
    if geom is None:
        return
    pts = gpd.GeoSeries(geom.values, crs=geom.crs).to_crs(4326)
    layer = folium.FeatureGroup(name="Stations / 驿站")
    ids = plan.problem.station_ids
    for sid, x, y in zip(ids, pts.x.to_numpy(), pts.y.to_numpy(), strict=True):
        folium.CircleMarker(
            location=[float(y), float(x)],
            radius=3,
            color="#000000",
            fill=True,
            fill_opacity=1.0,
            tooltip=f"Station / 驿站 {sid}",
        ).add_to(layer)
    layer.add_to(m)
