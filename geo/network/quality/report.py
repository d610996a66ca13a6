"""The network quality report: every check on one network, as one result object."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.network.graph import Network
from geo.network.quality import structure
from geo.network.quality._findings import KINDS, SEVERITIES, empty_findings
from geo.network.quality.detours import detour_outliers, detour_ratios, detour_stats
from geo.snap import DEFAULT_MAX_SNAP_M

if TYPE_CHECKING:
    import folium

__all__ = ["NetworkQuality", "QualityOptions", "check_network"]

_COLOURS = {
    "component": "#7b3294",
    "cut_off": "#c51b7d",
    "dead_end_cluster": "#e66101",
    "missing_link": "#d7191c",
    "chord": "#2c7bb6",
    "detour": "#1a9641",
}


@dataclass(frozen=True)
class QualityOptions:
    """Thresholds of the checks (metres unless said otherwise).

    Attributes
    ----------
    missing_link_straight_m, missing_link_network_m
        Node pairs closer than the first in straight line and farther than the second on
        the network are suspected missing links.
    chord_min_m
        Straight edges (no intermediate vertex) at least this long are chords.
    dead_end_radius_m, dead_end_min
        At least ``dead_end_min`` dead ends, each within ``dead_end_radius_m`` of
        another, form a cluster.
    detour_ratio, detour_range_m, detour_cap_m
        Demand units within ``detour_range_m`` of their nearest target in straight line
        and a walk more than ``detour_ratio`` times longer are detour outliers; walks are
        searched up to ``detour_cap_m``.
    max_snap_m
        Demand points farther than this from the network have no walk.
    """

    missing_link_straight_m: float = 30.0
    missing_link_network_m: float = 500.0
    chord_min_m: float = 300.0
    dead_end_radius_m: float = 50.0
    dead_end_min: int = 3
    detour_ratio: float = 3.0
    detour_range_m: float = 1000.0
    detour_cap_m: float = 10_000.0
    max_snap_m: float = DEFAULT_MAX_SNAP_M


@dataclass(frozen=True, eq=False)
class NetworkQuality:
    """What :func:`check_network` found.

    Attributes
    ----------
    network
        The network checked.
    findings
        One row per finding (network CRS): ``kind``, ``severity``, explanations in
        English and Chinese, measures, location ``x``/``y``; worst first.
    dead_ends
        Number of nodes with one neighbour (each is normal; clusters are findings).
    detours
        Per demand unit: nearest target, straight and walking distance, ratio (``None``
        without demand).
    options
        The thresholds used.
    """

    network: Network
    findings: gpd.GeoDataFrame
    dead_ends: int
    detours: pd.DataFrame | None
    options: QualityOptions
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def counts(self) -> dict[str, int]:
        """Findings by kind (every kind listed, 0 if none)."""
        found = self.findings["kind"].value_counts()
        return {kind: int(found.get(kind, 0)) for kind in KINDS}

    def detour_stats(self) -> dict[str, float]:
        """The distribution of detour ratios at short range (empty without demand)."""
        if self.detours is None:
            return {}
        return detour_stats(self.detours, range_m=self.options.detour_range_m)

    def summary(self) -> dict[str, Any]:
        """The report's figures, JSON-ready."""
        rep = self.network.report
        return {
            "network": {
                "source": rep.source,
                "nodes": self.network.n_nodes,
                "edges": self.network.n_edges,
                "length_m": float(self.network.edge_length_m.sum()),
                "components": 1 + rep.dropped_components,
                "dropped_components": rep.dropped_components,
                "dropped_length_m": rep.dropped_length_m,
                "dead_ends": self.dead_ends,
                "straight_edges_share": float(np.mean(np.diff(self.network.geom_offsets) == 2)),
            },
            "findings": self.counts(),
            "severity": {s: int((self.findings["severity"] == s).sum()) for s in SEVERITIES},
            "detours": self.detour_stats(),
            "options": asdict(self.options),
        }

    def summary_text(self) -> list[str]:
        """The report in a few bilingual lines."""
        s = self.summary()
        net, c = s["network"], s["findings"]
        lines = [
            f"{net['nodes']:,} nodes, {net['edges']:,} edges, {net['length_m'] / 1000:,.1f} km "
            f"/ {net['nodes']:,} 个节点、{net['edges']:,} 条边、{net['length_m'] / 1000:,.1f} 公里",
            f"components: {net['components']} (the largest kept, {net['dropped_components']} "
            f"dropped, {net['dropped_length_m'] / 1000:.1f} km) / 连通部分 {net['components']} 个",
            f"dead ends: {net['dead_ends']:,} / 断头路端点 {net['dead_ends']:,} 个",
        ]
        lines += [f"{KINDS[k]}: {n:,}" for k, n in c.items()]
        d = s["detours"]
        if d.get("count"):
            lines.append(
                f"walk / straight line within {self.options.detour_range_m:.0f} m: median "
                f"{d['median']:.2f}, mean {d['mean']:.2f}, 90 % {d['p90']:.2f}, max {d['max']:.1f} "
                f"({d['count']} units) / {self.options.detour_range_m:.0f} 米内步行与直线距离之比："
                f"中位数 {d['median']:.2f}，均值 {d['mean']:.2f}，90% 分位 {d['p90']:.2f}，"
                f"最大 {d['max']:.1f}（{d['count']} 个单元）"
            )
        return lines

    def to_gdf(self) -> gpd.GeoDataFrame:
        """The findings in lon/lat (EPSG:4326) with ``lon``/``lat`` of their location."""
        out = self.findings.to_crs(4326)
        located = gpd.GeoSeries(
            gpd.points_from_xy(self.findings["x"], self.findings["y"]), crs=self.findings.crs
        ).to_crs(4326)
        out["lon"], out["lat"] = located.x.to_numpy(), located.y.to_numpy()
        return out.drop(columns=["x", "y"])

    def explore(
        self, m: folium.Map | None = None, *, show_network: bool = True, **kwargs: Any
    ) -> folium.Map:
        """The findings over the network on a folium map (offline: no tiles unless ``m``
        has them), one layer per kind."""
        from geo.coverage.maps import new_map

        gdf = self.to_gdf()
        m = new_map(self.network.nodes_gdf) if m is None else m
        if show_network:
            edges = self.network.edges_gdf[["highway", "name", "length_m", "geometry"]]
            edges.to_crs(4326).explore(
                m=m, color="#888888", style_kwds={"weight": 1}, name="network / 路网", **kwargs
            )
        tooltip = ["kind", "severity", "explanation_en", "explanation_zh"]
        for kind, colour in _COLOURS.items():
            part = gdf[gdf["kind"] == kind]
            if part.empty:
                continue
            part[[*tooltip, "geometry"]].explore(
                m=m,
                color=colour,
                marker_kwds={"radius": 6, "fill": True},
                style_kwds={"weight": 3, "fillOpacity": 0.3},
                tooltip=tooltip,
                name=KINDS[kind],
            )
        return m


def check_network(
    network: Network,
    *,
    demand: gpd.GeoDataFrame | None = None,
    targets: gpd.GeoDataFrame | None = None,
    options: QualityOptions | None = None,
    name_column: str = "name",
    street_column: str = "street",
) -> NetworkQuality:
    """Check a walking network: parts, dead ends, missing links, chords, and the detours
    it gives ``demand``.

    Parameters
    ----------
    network
        The network.
    demand
        Demand units (e.g. communities) to measure detours for; ``None`` skips them.
    targets
        Facilities to measure detours to (default: each unit's nearest other unit).
    options
        Thresholds (:class:`QualityOptions`).
    name_column, street_column
        Columns of ``demand`` that name a unit and its street in the findings.

    Returns
    -------
    NetworkQuality
    """
    opt = options or QualityOptions()
    parts = [
        structure.components(network),
        structure.dropped_parts(network),
        structure.dead_end_clusters(
            network, radius_m=opt.dead_end_radius_m, min_size=opt.dead_end_min
        ),
        structure.missing_links(
            network,
            straight_m=opt.missing_link_straight_m,
            network_m=opt.missing_link_network_m,
        ),
        structure.chords(network, min_length_m=opt.chord_min_m),
    ]
    ratios = None
    if demand is not None and len(demand):
        ratios = detour_ratios(
            network, demand, targets, cap_m=opt.detour_cap_m, max_snap_m=opt.max_snap_m
        )
        parts.append(
            detour_outliers(
                ratios,
                demand,
                crs=network.pyproj_crs,
                ratio=opt.detour_ratio,
                range_m=opt.detour_range_m,
                cap_m=opt.detour_cap_m,
                name_column=name_column,
                street_column=street_column,
            )
        )
    found = [p for p in parts if len(p)]
    frame = pd.concat(found, ignore_index=True) if found else empty_findings(network.pyproj_crs)
    rank = frame["severity"].map({s: i for i, s in enumerate(SEVERITIES)}).to_numpy()
    kind = frame["kind"].map({k: i for i, k in enumerate(KINDS)}).to_numpy()
    size = -np.nan_to_num(frame["ratio"].to_numpy(dtype=float), nan=0.0, posinf=1e9)
    length = -np.nan_to_num(frame["length_m"].to_numpy(dtype=float), nan=0.0)
    frame = frame.iloc[np.lexsort((length, size, kind, rank))]
    findings = gpd.GeoDataFrame(frame.reset_index(drop=True), crs=network.pyproj_crs)
    return NetworkQuality(network, findings, len(structure.dead_ends(network)), ratios, opt)
