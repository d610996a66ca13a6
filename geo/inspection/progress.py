"""Progress of a campaign along its line (界线联检): the latest inspection per marker, the
length covered by segment checks, conditions counted; see :mod:`geo.inspection`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from numpy.typing import ArrayLike
from shapely import LineString

from geo.inspection.gauge import UNREACHED, LineGauge
from layers.schema import CONDITIONS

__all__ = [
    "NOT_INSPECTED",
    "LineProgress",
    "covered_length_m",
    "latest_by_marker",
    "line_progress",
    "stretch_lonlat",
]

#: the ``by_condition`` key of markers without any inspection
NOT_INSPECTED = "未检查"


def covered_length_m(starts: ArrayLike, ends: ArrayLike) -> float:
    """Length of the union of intervals ``[start, end]`` along a line (overlaps once).

    >>> covered_length_m([0, 5, 20], [10, 12, 25])
    17.0
    """
    s0, e0 = np.asarray(starts, float), np.asarray(ends, float)
    keep = np.isfinite(s0) & np.isfinite(e0)
    lo, hi = np.minimum(s0, e0)[keep], np.maximum(s0, e0)[keep]
    if lo.size == 0:
        return 0.0
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], hi[order]
    run_end = np.maximum.accumulate(hi)
    before = np.concatenate([[-np.inf], run_end[:-1]])
    return float(np.maximum(0.0, run_end - np.maximum(lo, before)).sum())


def latest_by_marker(inspections: pd.DataFrame) -> pd.DataFrame:
    """The latest not-rejected inspection of each marker (by ``inspected_at``), indexed by
    ``marker_no``, with ``inspections`` counting every not-rejected one."""
    valid = inspections[inspections["review_state"] != "rejected"]
    ordered = valid.sort_values(["marker_no", "inspected_at"], kind="stable")
    latest = ordered.groupby("marker_no", sort=True).tail(1).set_index("marker_no")
    latest["inspections"] = valid.groupby("marker_no").size()
    return latest


@dataclass(frozen=True)
class LineProgress:
    """Progress of one campaign along one line.

    ``markers`` is the register of the line with ``chainage_m``, ``condition`` (latest;
    ``None`` when not inspected), ``reached``, ``suspected_displaced`` and ``inspections``;
    ``segments`` the segment checks that count (not rejected) with their chainages.
    """

    line_code: str
    length_m: float
    covered_m: float
    markers: gpd.GeoDataFrame
    segments: pd.DataFrame

    @property
    def covered_km(self) -> float:
        return self.covered_m / 1000.0

    @property
    def by_condition(self) -> dict[str, int]:
        """Markers by latest condition, every condition listed, plus ``未检查``."""
        counts = self.markers["condition"].value_counts()
        out = {c: int(counts.get(c, 0)) for c in CONDITIONS}
        out[NOT_INSPECTED] = int(self.markers["condition"].isna().sum())
        return out

    def to_gdf(self) -> gpd.GeoDataFrame:
        """The markers with their latest condition (a copy)."""
        return self.markers.copy()

    def to_dict(self) -> dict[str, Any]:
        """Summary figures (JSON-ready)."""
        m = self.markers
        statuses: dict[Any, int] = (
            dict(self.segments["status"].value_counts()) if len(self.segments) else {}
        )
        return {
            "line_code": self.line_code,
            "length_km": round(self.length_m / 1000.0, 3),
            "covered_km": round(self.covered_km, 3),
            "covered_share": round(self.covered_m / self.length_m, 4) if self.length_m else 0.0,
            "markers_total": len(m),
            "markers_inspected": int(m["condition"].notna().sum()),
            "markers_reached": int(m["reached"].sum()),
            "suspected_displaced": int(m["suspected_displaced"].sum()),
            "by_condition": self.by_condition,
            "segments_by_status": {str(k): int(v) for k, v in statuses.items()},
        }


def line_progress(
    markers: gpd.GeoDataFrame,
    inspections: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    gauge: LineGauge,
    line_code: str,
) -> LineProgress:
    """Progress along a line: markers inspected and their latest conditions, and the length
    of line covered.

    A stretch of line counts as covered when a segment check covers it, or when the markers
    at both its ends were reached (latest condition other than ``未到达``). Rejected records
    count for nothing.

    Parameters
    ----------
    markers
        The register of this line (``marker_no``, point geometry in lon/lat).
    inspections
        Marker inspections: ``marker_no``, ``inspected_at``, ``condition``,
        ``review_state``, ``suspected_displaced``.
    segments
        Segment checks: ``from_marker``, ``to_marker``, ``status``, ``review_state``.
    gauge
        The line, prepared.
    line_code
        The line's code (for the result).
    """
    reg = markers.to_crs(4326)
    frame = gpd.GeoDataFrame(reg[["marker_no"]].copy(), geometry=reg.geometry, crs=reg.crs)
    frame["chainage_m"] = gauge.chainage_m(reg.geometry.x, reg.geometry.y)
    latest = latest_by_marker(inspections) if len(inspections) else pd.DataFrame()
    for column in ("condition", "suspected_displaced", "inspections"):
        source = latest[column] if column in latest else pd.Series(dtype=object)
        frame[column] = frame["marker_no"].map(source)
    frame["condition"] = frame["condition"].astype(object).where(frame["condition"].notna(), None)
    frame["suspected_displaced"] = frame["suspected_displaced"].eq(True)  # none: not suspected
    frame["inspections"] = frame["inspections"].fillna(0).astype(int)
    frame["reached"] = frame["condition"].notna() & (frame["condition"] != UNREACHED)
    frame = frame.sort_values("chainage_m", kind="stable").reset_index(drop=True)
    checks = _segment_chainages(segments, frame)
    both = (frame["reached"].to_numpy()[:-1] & frame["reached"].to_numpy()[1:]).astype(bool)
    chain = frame["chainage_m"].to_numpy()
    starts = np.concatenate([chain[:-1][both], checks["from_chainage_m"].to_numpy(float)])
    ends = np.concatenate([chain[1:][both], checks["to_chainage_m"].to_numpy(float)])
    covered = min(covered_length_m(starts, ends), gauge.length_m)
    return LineProgress(line_code, gauge.length_m, covered, frame, checks)


def _segment_chainages(segments: pd.DataFrame, markers: pd.DataFrame) -> pd.DataFrame:
    """The segment checks that count (not rejected), every column kept, with chainages."""
    columns = ["from_marker", "to_marker", "status", "review_state"]
    if not len(segments):
        return pd.DataFrame(columns=[*columns, "from_chainage_m", "to_chainage_m"])
    valid = segments[segments["review_state"] != "rejected"].reset_index(drop=True)
    at = markers.set_index("marker_no")["chainage_m"]
    return valid.assign(
        from_chainage_m=valid["from_marker"].map(at).astype(float),
        to_chainage_m=valid["to_marker"].map(at).astype(float),
    )


def stretch_lonlat(gauge: LineGauge, start_m: float, end_m: float) -> shapely.Geometry:
    """The part of the line between two chainages, in lon/lat (for a ``MultiLineString``
    line, the straight segment between the two points on it)."""
    lo, hi = sorted((float(start_m), float(end_m)))
    if isinstance(gauge.line, LineString):
        part = shapely.ops.substring(gauge.line, lo, hi)
    else:
        ends = shapely.line_interpolate_point(gauge.line, [lo, hi])
        part = shapely.LineString([(p.x, p.y) for p in ends])
    return gauge.to_lonlat(part)
