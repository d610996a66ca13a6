"""How far the walking network of a store can be trusted: the quality report of a store
(:func:`store_quality`, ``mzgis network check``, ``GET /analyses/network/quality``,
``/maps/network``) and the detour check of a coverage run (:func:`detour_check`): the
honest note on walking against straight-line distance, and the demand units whose walking
result likely shows a gap in the network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from api.catalog import Catalog
from api.geojson import feature_collection
from api.tables import records
from geo.network import Network
from geo.network.quality import (
    NetworkQuality,
    QualityOptions,
    check_network,
    detour_ratios,
    detour_stats,
    suspect_detours,
)

__all__ = [
    "DetourCheck",
    "detour_check",
    "detour_note",
    "quality_answer",
    "short_detour_note",
    "store_quality",
    "straight_run_detours",
    "suspect_note",
    "suspect_records",
    "with_street_names",
]

_DEFAULTS = QualityOptions()


def with_street_names(catalog: Catalog, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``units`` with a ``street`` column naming their street (from ``street_code`` and
    the store's ``streets`` layer, when both exist)."""
    if "street_code" not in units or "streets" not in catalog.store:
        return units
    streets = catalog.store.read("streets")
    names = dict(zip(streets["code"].astype(str), streets["name"].astype(str), strict=True))
    return units.assign(street=units["street_code"].astype(str).map(names).fillna(""))


def store_quality(
    catalog: Catalog,
    network: Network,
    *,
    demand: str | None = "communities",
    targets: str | None = "stations",
    options: QualityOptions | None = None,
) -> NetworkQuality:
    """The quality report of ``network`` with the detours of the store's ``demand`` units
    to its ``targets`` (each skipped when ``None``; a named layer must exist).

    Raises
    ------
    api.errors.InvalidBodyError
        A layer the store does not have.
    """
    units = None
    if demand is not None:
        units = with_street_names(catalog, catalog.read(demand, field="demand"))
    facilities = None if targets is None else catalog.read(targets, field="targets")
    if facilities is not None and len(facilities) == 0:
        facilities = None
    return check_network(network, demand=units, targets=facilities, options=options)


def quality_answer(quality: NetworkQuality, *, limit: int | None = None) -> dict[str, Any]:
    """The report as JSON: the figures, and the findings (worst first) as GeoJSON."""
    findings = quality.to_gdf()
    shown = findings if limit is None else findings.head(limit)
    return {
        "summary": quality.summary(),
        "lines": quality.summary_text(),
        "findings": json.loads(feature_collection(shown)),
        "findings_total": len(findings),
    }


@dataclass(frozen=True)
class DetourCheck:
    """Walk against straight line from every demand unit to its nearest facility.

    Attributes
    ----------
    ratios
        Per unit (demand index): straight and walking distance and their ratio.
    stats
        Their distribution at short range (see :func:`geo.network.quality.detour_stats`).
    suspect
        Per unit: the walk is beyond ``ratio`` times the straight line at short range.
    source, ratio, range_m
        The network's source and the thresholds.
    """

    ratios: pd.DataFrame
    stats: dict[str, float]
    suspect: NDArray[np.bool_]
    source: str
    ratio: float = _DEFAULTS.detour_ratio
    range_m: float = _DEFAULTS.detour_range_m


def detour_check(
    ratios: pd.DataFrame,
    source: str,
    *,
    ratio: float = _DEFAULTS.detour_ratio,
    range_m: float = _DEFAULTS.detour_range_m,
) -> DetourCheck:
    """The check of detour ``ratios`` (see :func:`geo.network.quality.detour_ratios`)
    measured on the network built from ``source``."""
    return DetourCheck(
        ratios,
        detour_stats(ratios, range_m=range_m),
        suspect_detours(ratios, ratio=ratio, range_m=range_m),
        source,
        ratio,
        range_m,
    )


def straight_run_detours(
    network: Network, demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame
) -> DetourCheck:
    """The detours of a straight-line run, measured on the store's network with one
    search bounded where a flag no longer needs it (``ratio × range_m``)."""
    cap_m = _DEFAULTS.detour_ratio * _DEFAULTS.detour_range_m * 1.01
    ratios = detour_ratios(network, demand, facilities, cap_m=cap_m)
    return detour_check(ratios, network.report.source)


def detour_note(check: DetourCheck | None, *, mode: str) -> str:
    """What walking does to distances here, measured on the store's own network (never a
    fixed factor), with the caveat that a network's gaps inflate it."""
    if mode == "euclidean" and check is None:
        return (
            "straight-line distances: walks are longer by an amount that depends on the"
            " streets, and there is no walking network here to measure it"
            " / 直线距离：步行距离更长，差多少取决于街道，此处没有步行路网可供测算"
        )
    if check is None or not check.stats.get("count"):
        return ""
    s, r = check.stats, f"{check.range_m:,.0f}"
    p90 = f"{s['p90']:.1f}" if np.isfinite(s["p90"]) else f"{check.ratio:g}+"
    lead_en = "straight-line distances. " if mode == "euclidean" else ""
    lead_zh = "直线距离。" if mode == "euclidean" else ""
    return (
        f"{lead_en}On this walking network ({check.source}) the nearest facility on foot is a"
        f" median {s['median']:.2f}× as far as the nearest in straight line, for the"
        f" {s['count']:,} units within {r} m of one (90 % under {p90}×). The network may lack"
        " links: ratios far above this point to gaps rather than real detours"
        " (mzgis network check, /maps/network)"
        f" / {lead_zh}按本步行路网（{check.source}），距设施直线 {r} 米内的 {s['count']:,} 个单元，"
        f"步行最近设施的距离中位数为直线最近设施距离的 {s['median']:.2f} 倍（90% 低于 {p90} 倍）。"
        "路网可能缺少连接，远高于此的比值多因路网缺口而非真实绕行"
        "（见 mzgis network check、/maps/network）"
    )


def short_detour_note(check: DetourCheck | None) -> tuple[str, str]:
    """The detour figure for a page, in Chinese and English (no fixed factor)."""
    if check is None or not check.stats.get("count"):
        return (
            "步行距离长于直线距离，差多少取决于街道与路网。",
            "Walks are longer than the straight line, by how much depends on the streets.",
        )
    m = check.stats["median"]
    return (
        f"本路网上步行最近设施的距离中位数为直线的 {m:.2f} 倍；路网可能有缺口"
        "（见路网质量图 /maps/network）。",
        f"On this network the nearest facility on foot is a median {m:.2f}× as far as in"
        " straight line; the network may have gaps (see /maps/network).",
    )


def suspect_note(check: DetourCheck) -> str:
    """The flag of a walking run: how many units may be measured across a network gap."""
    n = int(check.suspect.sum())
    if n == 0:
        return ""
    r = f"{check.range_m:,.0f}"
    return (
        f"{n} units within {r} m of a facility in straight line have their nearest facility"
        f" on foot more than {check.ratio:g}× as far, likely across a gap in the walking"
        " network: their walking results are flagged (network_suspects)"
        f" / {n} 个单元距设施直线 {r} 米内，但步行最近设施的距离超过直线的 {check.ratio:g} 倍，"
        "多因步行路网缺口，其结果已标记（network_suspects）"
    )


def suspect_records(check: DetourCheck, demand: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The flagged units: code and name where the layer has them, distances, ratio."""
    rows = np.flatnonzero(check.suspect)
    keep = [c for c in ("code", "name", "street") if c in demand.columns]
    table = pd.DataFrame(demand.iloc[rows][keep]).reset_index(drop=True)
    ratios = check.ratios.iloc[rows].reset_index(drop=True)
    table["straight_m"] = ratios["straight_m"].round(1)
    walk = ratios["network_m"].to_numpy(dtype=float)
    table["network_m"] = np.where(np.isfinite(walk), np.round(walk, 1), np.nan)
    table["ratio"] = np.where(np.isfinite(walk), ratios["ratio"].round(2), np.nan)
    return records(table)
