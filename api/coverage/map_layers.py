"""What the coverage page draws: one layer of communities shaded by covered share for each
tier (one shown at a time, each with its legend), the uncovered demand points and the service
areas on demand (switched off at first, so the shading carries the message), the units whose
walk crosses a likely gap in the network, the facilities; and, when a second facility layer
is compared, the planned facilities and the change in covered share per community."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from api.coverage.service import CoverageRun
from api.maps import CategoryStyle, LayerStyle, MapBuilder, PopupField
from api.maps.i18n import Lang, pick
from geo.coverage import facility_ids, tier_label

__all__ = ["DIFF_CLASSES", "SHARE_CLASSES", "add_comparison", "add_run", "main_weight"]

#: covered-share classes: (upper bound, key, colour), light red to green
SHARE_CLASSES = (
    (0.25, "0-25", "#d73027"),
    (0.5, "25-50", "#fc8d59"),
    (0.75, "50-75", "#d9ef8b"),
    (1.01, "75-100", "#1a9850"),
)
#: change of covered share in percentage points: (upper bound, key, colour, 中文, English)
DIFF_CLASSES = (
    (-0.05, "loss", "#b2182b", "下降", "lower"),
    (0.05, "same", "#f7f7f7", "基本不变（±5 个百分点）", "about the same (±5 points)"),
    (25.0, "gain", "#92c5de", "提高 5–25 个百分点", "up 5–25 points"),
    (1e9, "big", "#2166ac", "提高 25 个百分点以上", "up more than 25 points"),
)


def main_weight(run: CoverageRun) -> str:
    """The count the page reads: elderly 60+ where the demand has it, else population."""
    names = run.result.weights
    return next((w for w in ("elderly_60_plus", "population") if w in names), "count")


def _who(weight: str, lang: Lang) -> str:
    return pick(lang, "老人" if weight.startswith("elderly") else "人口", weight)


def _nearest_names(run: CoverageRun, kind: str) -> pd.Series:
    """``id 名称`` of each unit's nearest facility (the id alone where there is no name)."""
    facilities = run.result.facilities
    ids = facility_ids(facilities, kind=kind).astype(str)
    names = facilities["name"].astype(str).to_numpy() if "name" in facilities else ids
    label = dict(zip(ids, [f"{i} {n}" if n != i else i for i, n in zip(ids, names, strict=True)],
                     strict=True))  # fmt: skip
    nearest = run.result.demand["facility_id"].astype(str)
    return nearest.map(label).fillna(nearest)


def _shaded(run: CoverageRun, weight: str, radius_m: float, kind: str) -> gpd.GeoDataFrame:
    """Communities with their covered share at ``radius_m`` (``share``, %) and its class."""
    label = tier_label(radius_m)
    demand = run.result.demand
    share = demand[f"{weight}_covered_share_{label}"].to_numpy(dtype=float)
    bounds = np.array([b for b, _, _ in SHARE_CLASSES])
    keys = np.array([k for _, k, _ in SHARE_CLASSES], dtype=object)
    band = keys[np.searchsorted(bounds, np.nan_to_num(share, nan=0.0), side="right").clip(0, 3)]
    keep = [c for c in ("code", "name", "street_code") if c in demand.columns]
    out = demand[[*keep, weight, f"{weight}_uncovered_{label}", "distance_m"]]
    out = out.assign(share=np.round(share * 100, 1), band=band, nearest=_nearest_names(run, kind))
    return gpd.GeoDataFrame(out, geometry=demand.geometry, crs=demand.crs).to_crs(4326)


def _add_tiers(b: MapBuilder, run: CoverageRun, weight: str, kind: str) -> None:
    """One shaded layer per tier, shown one at a time (the largest first)."""
    lang, tiers = b.lang, run.result.tiers_m
    people = pick(lang, "人", "people")
    for radius in tiers:
        label = tier_label(radius)
        within = pick(lang, f"{label} 内覆盖率", f"covered within {label}")
        uncovered = pick(lang, "未覆盖", "uncovered")
        b.add_layer(
            _shaded(run, weight, radius, kind),
            name=f"coverage-{label}",
            label=pick(lang, f"社区覆盖率（{label} 内）", f"Communities covered within {label}"),
            style=LayerStyle("#616161", weight=0.6, fill_opacity=0.55, z=20),
            category=CategoryStyle(
                "band",
                colors={k: c for _, k, c in SHARE_CLASSES},
                labels={k: f"{k}%" for _, k, _ in SHARE_CLASSES},
            ),
            title="name",
            fields=[
                PopupField("share", within, "%", "float"),
                PopupField(weight, _who(weight, lang), people, "int"),
                PopupField(f"{weight}_uncovered_{label}", uncovered, people, "int"),
                PopupField("street_code", pick(lang, "街道", "street")),
                PopupField("nearest", pick(lang, "最近设施", "nearest facility")),
                PopupField("distance_m", pick(lang, "到最近设施", "to the nearest"), "m", "float"),
            ],
            show=radius == tiers[-1],
            group="tiers",
        )


def _uncovered(run: CoverageRun, weight: str) -> gpd.GeoDataFrame:
    """The demand points not covered within the largest radius (with people)."""
    result = run.result
    points = result.points
    names = result.demand_points.units.get("name")
    left = points[~points[f"covered_{tier_label(result.radius_m)}"] & (points[weight] > 0)]
    frame = left[[weight, "distance_m", "unit"]].copy()
    if names is not None:
        frame["name"] = names.to_numpy()[left["unit"].to_numpy()]
    return gpd.GeoDataFrame(frame.drop(columns="unit"), geometry=left.geometry).to_crs(4326)


def _add_on_demand(b: MapBuilder, run: CoverageRun, weight: str) -> None:
    """Uncovered demand points and service areas: in the layer list, switched off."""
    lang = b.lang
    b.add_layer(
        _uncovered(run, weight),
        name="uncovered",
        label=pick(lang, "未覆盖需求点", "Uncovered demand points"),
        style=LayerStyle("#000000", "#ffeb3b", weight=0.8, fill_opacity=0.9, radius_px=3, z=75),
        cluster=False,
        title="name",
        fields=[
            PopupField(weight, _who(weight, lang), pick(lang, "人", "people"), "int"),
            PopupField("distance_m", pick(lang, "到最近设施", "to nearest"), "m", "float"),
        ],
        show=False,
    )
    how = "nearest" if run.result.mode == "network" else "each"
    areas = run.result.service_areas(radius_m=run.result.radius_m, how=how)
    b.add_layer(
        areas.to_crs(4326),
        name="areas",
        label=pick(lang, "服务范围", "Service areas"),
        style=LayerStyle("#1565c0", "#64b5f6", weight=0.8, fill_opacity=0.2, z=15),
        fields=[
            PopupField("facility_id", pick(lang, "设施", "facility")),
            PopupField("radius_m", pick(lang, "半径", "radius"), "m", "float"),
        ],
        show=False,
    )


def _add_suspects(b: MapBuilder, run: CoverageRun) -> None:
    """Walking runs: the units whose walk likely crosses a gap in the network."""
    check = run.detours
    if run.result.mode != "network" or check is None or not check.suspect.any():
        return
    units = run.result.demand_points.units
    keep = [c for c in ("code", "name") if c in units.columns]
    frame = units.iloc[np.flatnonzero(check.suspect)][[*keep, "geometry"]].copy()
    ratios = check.ratios.iloc[np.flatnonzero(check.suspect)]
    frame["straight_m"] = ratios["straight_m"].to_numpy()
    frame["network_m"] = ratios["network_m"].replace(np.inf, np.nan).to_numpy()
    b.add_layer(
        gpd.GeoDataFrame(frame, crs=units.crs).to_crs(4326),
        name="network_suspects",
        label=pick(b.lang, "步行结果存疑（路网缺口）", "Walks across a likely network gap"),
        style=LayerStyle("#b71c1c", weight=2.5, fill_opacity=0.0, z=60),
        title="name",
        fields=[
            PopupField("straight_m", pick(b.lang, "直线", "straight line"), "m", "float"),
            PopupField("network_m", pick(b.lang, "步行", "walking"), "m", "float"),
        ],
    )


def add_run(b: MapBuilder, run: CoverageRun, *, kind: str) -> str:
    """Draw ``run``: the tiers, the layers on demand, suspect walks and the facilities.
    Returns the weight the page reads."""
    weight = main_weight(run)
    _add_tiers(b, run, weight, kind)
    _add_on_demand(b, run, weight)
    _add_suspects(b, run)
    b.add_layer(run.result.facilities.to_crs(4326), kind=kind, name="facilities")
    return weight


def _difference(live: CoverageRun, planned: CoverageRun, weight: str) -> gpd.GeoDataFrame:
    """Communities with their covered share (largest tier) today, with the planned layer,
    and the change in percentage points."""
    label = tier_label(live.result.radius_m)
    column = f"{weight}_covered_share_{label}"
    before = live.result.demand[column].to_numpy(dtype=float) * 100
    after = planned.result.demand[column].to_numpy(dtype=float) * 100
    change = np.round(after - before, 1)
    bounds = np.array([c[0] for c in DIFF_CLASSES])
    keys = np.array([c[1] for c in DIFF_CLASSES], dtype=object)
    band = keys[np.searchsorted(bounds, np.nan_to_num(change), side="left").clip(0, 3)]
    demand = live.result.demand
    keep = [c for c in ("code", "name", "street_code") if c in demand.columns]
    out = demand[keep].assign(
        before=np.round(before, 1), after=np.round(after, 1), change=change, band=band
    )
    return gpd.GeoDataFrame(out, geometry=demand.geometry, crs=demand.crs).to_crs(4326)


def add_comparison(
    b: MapBuilder, live: CoverageRun, planned: CoverageRun, *, kind: str, planned_label: str
) -> None:
    """The planned facilities and the change of covered share per community."""
    lang, weight = b.lang, main_weight(live)
    label = tier_label(live.result.radius_m)
    points = pick(lang, "个百分点", "points")
    b.add_layer(
        _difference(live, planned, weight),
        name="difference",
        label=pick(lang, f"规划后覆盖率变化（{label} 内）", f"Change of covered share ({label})"),
        style=LayerStyle("#616161", weight=0.6, fill_opacity=0.7, z=21),
        category=CategoryStyle(
            "band",
            colors={c[1]: c[2] for c in DIFF_CLASSES},
            labels={c[1]: pick(lang, c[3], c[4]) for c in DIFF_CLASSES},
        ),
        title="name",
        fields=[
            PopupField("before", pick(lang, "现状覆盖率", "covered today"), "%", "float"),
            PopupField("after", pick(lang, "规划后覆盖率", "covered as planned"), "%", "float"),
            PopupField("change", pick(lang, "变化", "change"), points, "float"),
            PopupField("street_code", pick(lang, "街道", "street")),
        ],
        group="tiers",
        show=False,
    )
    b.add_layer(
        planned.result.facilities.to_crs(4326),
        kind=kind,
        name="planned",
        label=planned_label,
        style=LayerStyle("#6a1b9a", "#ce93d8", weight=2, radius_px=7, z=92),
    )
