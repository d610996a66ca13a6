"""Checks on arrival (界线联检): displacement against the marker register by the 2σ rule and
plausibility of an observed position against its line, measured in the line's Gauss-Krüger
zone prepared once in a :class:`LineGauge`; see :mod:`geo.inspection`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

__all__ = [
    "UNREACHED",
    "ArrivalRules",
    "ImplausiblePositionError",
    "LineGauge",
    "assess_arrays",
    "assess_observations",
    "displacement_threshold_m",
]

Array = NDArray[np.float64]
Lineal = LineString | MultiLineString
UNREACHED = "未到达"


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
