"""The findings table every quality check returns: one row per finding, in the network's
CRS, with its kind, severity, location and a bilingual explanation."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

__all__ = ["COLUMNS", "KINDS", "SEVERITIES", "empty_findings", "findings"]

#: the kinds of finding, most telling first, with their label for people
KINDS: dict[str, str] = {
    "detour": "detour outlier / 绕行异常",
    "missing_link": "suspected missing link / 疑似缺失连接",
    "cut_off": "cut off by filtered or one-way roads / 被剔除道路或单行道隔断",
    "component": "disconnected part / 不连通部分",
    "dead_end_cluster": "cluster of dead ends / 断头路聚集",
    "chord": "straight edge without shape / 无中间形状的长直线边",
}
#: severities, worst first
SEVERITIES: dict[str, str] = {"high": "high / 高", "medium": "medium / 中", "low": "low / 低"}
#: the measure columns a finding may carry (NaN or "" where they do not apply); ``node_ids``
#: are the source's ids (OSM node ids for an OSM build) of a missing link's two nodes
COLUMNS: dict[str, Any] = {
    "nodes": np.nan,
    "length_m": np.nan,
    "straight_m": np.nan,
    "network_m": np.nan,
    "ratio": np.nan,
    "name": "",
    "street": "",
    "node_ids": "",
}


def findings(
    kind: str,
    geometry: Any,
    *,
    severity: ArrayLike,
    explanation_en: ArrayLike,
    explanation_zh: ArrayLike,
    crs: Any,
    **values: ArrayLike,
) -> gpd.GeoDataFrame:
    """Findings of one kind as a frame (network CRS), located at a point of each geometry.

    Parameters
    ----------
    kind
        One of :data:`KINDS`.
    geometry
        Shapely geometries, one per finding.
    severity, explanation_en, explanation_zh
        Per finding (or one value for all).
    crs
        The network's CRS.
    **values
        Measure columns (see :data:`COLUMNS`).
    """
    geoms = np.asarray(geometry, dtype=object)
    n = len(geoms)
    frame = pd.DataFrame(
        {
            "kind": np.full(n, kind, dtype=object),
            "severity": _full(severity, n),
            "explanation_en": _full(explanation_en, n),
            "explanation_zh": _full(explanation_zh, n),
        }
    )
    for name, default in COLUMNS.items():
        frame[name] = _full(values.get(name, default), n)
    located = shapely.point_on_surface(geoms) if n else geoms
    frame["x"] = shapely.get_x(located) if n else np.zeros(0)
    frame["y"] = shapely.get_y(located) if n else np.zeros(0)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=crs)


def empty_findings(crs: Any) -> gpd.GeoDataFrame:
    """A findings frame with no row."""
    return findings("component", [], severity=[], explanation_en=[], explanation_zh=[], crs=crs)


def _full(value: ArrayLike, n: int) -> NDArray[Any]:
    arr = np.asarray(value, dtype=object)
    if arr.ndim == 0:
        return np.full(n, arr.item(), dtype=object)
    return arr
