"""A seeded synthetic city of over-size communities for the resize benchmark and its tests.

Communities are 500 m squares on a grid, ten to a street (街道), each with 3,001–9,000
households (all flagged); roads are slightly slanted lines about every 110 m in both
directions across the whole city (so they cross community boundaries like real streets), which
cut each community into some 20–30 blocks. Counts are estimated.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["CITY_CRS", "synthetic_communities"]

#: CGCS2000 / 3-degree Gauss-Krüger CM 117E (Beijing)
CITY_CRS = "EPSG:4548"
_ORIGIN_XY = (440_000.0, 4_400_000.0)
_PER_STREET = 10


def _lines(length_m: float, across_m: float, spacing_m: float, rng: np.random.Generator) -> list:
    """Slanted lines about every ``spacing_m`` along an axis of ``length_m``, spanning
    ``across_m``; as ``(start, end)`` offsets along the axis."""
    base = np.arange(spacing_m / 2, length_m, spacing_m)
    start = base + rng.uniform(-0.25, 0.25, base.size) * spacing_m
    end = start + rng.uniform(-20.0, 20.0, base.size)
    return [(float(a), float(b), across_m) for a, b in zip(start, end, strict=True)]


def synthetic_communities(
    n: int, *, seed: int = 0, size_m: float = 500.0, spacing_m: float = 110.0
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``n`` over-size communities and the roads crossing them (both in :data:`CITY_CRS`).

    Returns
    -------
    (communities, roads)
        Communities with ``code`` (street 9 digits + sequence), ``name``, ``street_code``,
        ``households``, ``population``, elderly and ``basic_recipients``; roads as lines.
    """
    rng = np.random.default_rng(seed)
    nx = max(1, int(np.ceil(np.sqrt(n))))
    ny = int(np.ceil(n / nx))
    i = np.arange(n)
    ix, iy = i % nx, i // nx
    x0, y0 = _ORIGIN_XY
    boxes = shapely.box(
        x0 + ix * size_m, y0 + iy * size_m, x0 + (ix + 1) * size_m, y0 + (iy + 1) * size_m
    )
    street = i // _PER_STREET
    seq = i % _PER_STREET + 1
    households = rng.integers(3001, 9001, size=n)
    population = np.round(households * rng.uniform(2.2, 2.8, size=n)).astype(np.int64)
    communities = gpd.GeoDataFrame(
        {
            "code": [f"110105{s + 1:03d}{q:03d}" for s, q in zip(street, seq, strict=True)],
            "name": [f"合成{k + 1}社区居委会" for k in i],
            "street_code": [f"110105{s + 1:03d}" for s in street],
            "households": households,
            "population": population,
            "elderly_60_plus": np.round(population * 0.22).astype(np.int64),
            "elderly_80_plus": np.round(population * 0.03).astype(np.int64),
            "basic_recipients": np.round(population * 0.01).astype(np.int64),
        },
        geometry=boxes,
        crs=CITY_CRS,
    )
    width, height = nx * size_m, ny * size_m
    lines = [
        shapely.LineString([(x0 + a, y0 - 10), (x0 + b, y0 + across + 10)])
        for a, b, across in _lines(width, height, spacing_m, rng)
    ]
    lines += [
        shapely.LineString([(x0 - 10, y0 + a), (x0 + across + 10, y0 + b)])
        for a, b, across in _lines(height, width, spacing_m, rng)
    ]
    return communities, gpd.GeoDataFrame(geometry=lines, crs=CITY_CRS)
