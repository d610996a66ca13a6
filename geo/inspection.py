"""Boundary inspection rules (界线联检): displacement against the marker register, the 2σ
rule, plausibility of an observed position against the line, and progress along a line.

A marker is *suspected displaced* when the distance between its registered and observed
positions exceeds ``k·√(σ_register² + σ_observed²)`` (``k = 2`` by default). With σ the
point (radial) standard errors (点位中误差) and independent, circular normal errors, an
undisturbed marker exceeds that with probability ``exp(-k²)`` (1.8 % for k = 2): the flag
asks for a look on site, it is not a verdict. The observed σ is the horizontal accuracy the
receiver reports.

Everything is measured in the line's CGCS2000 3-degree Gauss-Krüger zone
(:func:`geo.projection.gk_crs`), prepared once per line in a :class:`LineGauge`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError
from shapely import LineString, MultiLineString

from geo._errors import AnalysisError
from geo.projection import gk_crs
from layers.schema import CONDITIONS

__all__ = [
    "NOT_INSPECTED",
    "UNREACHED",
    "ArrivalRules",
    "ImplausiblePositionError",
    "LineGauge",
    "LineProgress",
    "assess_arrays",
    "assess_observations",
    "covered_length_m",
    "displacement_threshold_m",
    "latest_by_marker",
    "line_progress",
    "stretch_lonlat",
]

Array = NDArray[np.float64]
Lineal = LineString | MultiLineString
UNREACHED = "未到达"
#: the ``by_condition`` key of markers without any inspection
NOT_INSPECTED = "未检查"


class ImplausiblePositionError(AnalysisError):
    """An observed position is too far from the line to be an observation of its marker."""


@dataclass(frozen=True)
class ArrivalRules:
    """Thresholds of the checks on arrival.

    Attributes
    ----------
    k_sigma
        Multiplier of the combined standard error for *suspected displaced* (2 → the 2σ rule).
    low_accuracy_m
        Horizontal accuracy above which a position is flagged *low accuracy*.
    far_from_line_m
        Distance from the line above which a position is flagged *far from line*.
    max_from_line_m
        Distance from the line above which a position is implausible (refused on arrival).
    """

    k_sigma: float = 2.0
    low_accuracy_m: float = 5.0
    far_from_line_m: float = 500.0
    max_from_line_m: float = 5_000.0


def displacement_threshold_m(
    sigma_register_m: ArrayLike, sigma_observed_m: ArrayLike, *, k_sigma: float = 2.0
) -> Array:
    """``k·√(σ_register² + σ_observed²)``: the displacement above which a marker is suspected
    displaced.

    Parameters
    ----------
    sigma_register_m
        Standard error of the registered position, metres.
    sigma_observed_m
        Horizontal accuracy (standard error) of the observation, metres.
    k_sigma
        Multiplier (2 for the 2σ rule).
    """
    a = np.asarray(sigma_register_m, dtype=float)
    b = np.asarray(sigma_observed_m, dtype=float)
    return np.asarray(k_sigma * np.hypot(a, b), dtype=float)


class LineGauge:
    """A boundary line prepared for measuring: projected once into the Gauss-Krüger zone of
    its centre, with the transformer that brings lon/lat points into the same plane.

    Parameters
    ----------
    line_lonlat
        The line (``LineString`` or ``MultiLineString``) in lon/lat (EPSG:4326).
    crs
        The measuring CRS; default: the CGCS2000 3-degree zone of the line's centre.
    """

    def __init__(self, line_lonlat: Lineal, *, crs: CRS | None = None) -> None:
        if not isinstance(line_lonlat, LineString | MultiLineString) or line_lonlat.is_empty:
            raise AnalysisError("the boundary line has no line geometry / 界线没有线几何")
        self.crs = crs or gk_crs(line_lonlat.centroid.x)
        self._to_plane = _portable(Transformer.from_crs(4326, self.crs, always_xy=True))
        self._to_lonlat = _portable(Transformer.from_crs(self.crs, 4326, always_xy=True))
        self.line: Lineal = shapely.transform(line_lonlat, self._project_coords)
        shapely.prepare(self.line)

    def _project_coords(self, coords: Array) -> Array:
        x, y = self._to_plane.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def to_lonlat(self, geom: shapely.Geometry) -> shapely.Geometry:
        """A geometry of the measuring plane back in lon/lat."""

        def back(coords: Array) -> Array:
            x, y = self._to_lonlat.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        return shapely.transform(geom, back)

    @property
    def length_m(self) -> float:
        """Length of the line in metres."""
        return float(self.line.length)

    def project(self, lon: ArrayLike, lat: ArrayLike) -> tuple[Array, Array]:
        """Plane coordinates (metres) of lon/lat points."""
        x, y = self._to_plane.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def _points(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.object_]:
        x, y = self.project(np.atleast_1d(lon), np.atleast_1d(lat))
        return np.asarray(shapely.points(x, y), dtype=object)

    def distance_m(self, lon: ArrayLike, lat: ArrayLike) -> Array:
        """Distance of each point from the line (NaN for missing coordinates)."""
        return np.asarray(shapely.distance(self.line, self._points(lon, lat)), dtype=float)

    def chainage_m(self, lon: ArrayLike, lat: ArrayLike) -> Array:
        """Distance along the line to the foot of each point (linear referencing)."""
        located = shapely.line_locate_point(self.line, self._points(lon, lat))
        return np.asarray(located, dtype=float)

    def separation_m(
        self, lon_a: ArrayLike, lat_a: ArrayLike, lon_b: ArrayLike, lat_b: ArrayLike
    ) -> Array:
        """Plane distance between point pairs (a, b), metres."""
        xa, ya = self.project(lon_a, lat_a)
        xb, yb = self.project(lon_b, lat_b)
        return np.asarray(np.hypot(xa - xb, ya - yb), dtype=float)


def _portable(transformer: Transformer) -> Transformer:
    """The same transformer rebuilt from its PROJ pipeline. pyproj gives every thread its own
    copy of a transformer; one made by ``from_crs`` searches the PROJ database again in each
    new thread (~0.2 s, a stall for a server's thread pool), one made from a pipeline is
    rebuilt in well under a millisecond, with identical results."""
    try:
        return Transformer.from_pipeline(transformer.definition)
    except ProjError:  # pragma: no cover - a definition PROJ cannot read back
        return transformer


def assess_observations(
    observations: pd.DataFrame, *, gauge: LineGauge, rules: ArrivalRules | None = None
) -> pd.DataFrame:
    """Checks on arrival of marker observations against the register and the line.

    Parameters
    ----------
    observations
        One row per observation with columns ``lon``, ``lat`` (observed, WGS84; NaN when the
        marker was not reached or not found), ``accuracy_m``, ``fix_type``, and the register's
        ``register_lon``, ``register_lat``, ``sigma_m``.
    gauge
        The marker's line, prepared.
    rules
        Thresholds; default :class:`ArrivalRules`.

    Returns
    -------
    pandas.DataFrame
        Same index: ``displacement_m``, ``threshold_m``, ``suspected_displaced``,
        ``distance_to_line_m``, ``chainage_m`` (of the registered position),
        ``implausible`` (farther than ``max_from_line_m``) and ``flags`` (a list per row of
        ``suspected_displaced``, ``manual_fix``, ``low_accuracy``, ``far_from_line``,
        ``no_position``).
    """
    obs = observations
    columns = assess_arrays(
        obs["lon"].to_numpy(float),
        obs["lat"].to_numpy(float),
        accuracy_m=obs["accuracy_m"].to_numpy(float),
        manual=(obs["fix_type"] == "manual").to_numpy(bool),
        register_lon=obs["register_lon"].to_numpy(float),
        register_lat=obs["register_lat"].to_numpy(float),
        sigma_m=obs["sigma_m"].to_numpy(float),
        gauge=gauge,
        rules=rules,
    )
    return pd.DataFrame(columns, index=obs.index)


def assess_arrays(
    lon: Array,
    lat: Array,
    *,
    accuracy_m: Array,
    manual: NDArray[np.bool_],
    register_lon: Array,
    register_lat: Array,
    sigma_m: Array,
    gauge: LineGauge,
    rules: ArrivalRules | None = None,
) -> dict[str, Any]:
    """The core of :func:`assess_observations` on arrays (one element per observation;
    ``manual``: whether the fix was manual): its columns by name, without building frames
    (what a single submission needs)."""
    rules = rules or ArrivalRules()
    has_position = np.isfinite(lon) & np.isfinite(lat)
    displacement = np.full(len(lon), np.nan)
    distance = np.full(len(lon), np.nan)
    if has_position.any():
        at = has_position
        displacement[at] = gauge.separation_m(register_lon[at], register_lat[at], lon[at], lat[at])
        distance[at] = gauge.distance_m(lon[at], lat[at])
    threshold = displacement_threshold_m(sigma_m, accuracy_m, k_sigma=rules.k_sigma)
    masks = {
        "suspected_displaced": has_position & (displacement > threshold),
        "manual_fix": np.asarray(manual, dtype=bool),
        "low_accuracy": has_position & (accuracy_m > rules.low_accuracy_m),
        "far_from_line": has_position & (distance > rules.far_from_line_m),
        "no_position": ~has_position,
    }
    names = list(masks)
    table = np.column_stack([masks[n] for n in names]) if len(lon) else np.zeros((0, len(names)))
    return {
        "displacement_m": displacement,
        "threshold_m": threshold,
        "suspected_displaced": masks["suspected_displaced"],
        "distance_to_line_m": distance,
        "chainage_m": gauge.chainage_m(register_lon, register_lat),
        "implausible": has_position & (distance > rules.max_from_line_m),
        "flags": [[n for n, on in zip(names, row, strict=True) if on] for row in table],
    }


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
