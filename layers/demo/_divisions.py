"""Districts, streets and communities of the demo: real district and street polygons, official
codes, and community polygons partitioned from their street (estimated)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.cluster.vq import kmeans2

from layers._errors import LayerReadError
from layers.demo._common import (
    DISTRICTS,
    MEASURE_CRS,
    STORE_CRS,
    largest_remainder,
    measure_area_m2,
    sample_points,
    tag,
)

__all__ = ["build_communities", "build_districts", "build_streets"]

CODES_SOURCE = "NBS 2023 division codes (china-division)"
STREETS_SOURCE = "Beijing street polygons (tsinghua-fib-lab/mosstool)"
CENSUS_SOURCE = "7th national census 2020"
SAMPLES_PER_COMMUNITY = 60


def build_districts(streets: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The two districts: union of their real street polygons, census population."""
    codes = list(DISTRICTS)
    geoms = [shapely.union_all(streets.geometry[streets["district_code"] == c]) for c in codes]
    frame = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": [DISTRICTS[c][0] for c in codes],
            "parent_code": "110000",
            "population": [DISTRICTS[c][1] for c in codes],
        },
        geometry=geoms,
        crs=STORE_CRS,
    )
    frame["area_m2"] = measure_area_m2(frame.geometry)
    source = f"{CODES_SOURCE}; polygon: union of {STREETS_SOURCE}; population: {CENSUS_SOURCE}"
    return tag(frame, source=source, estimated=[])


def build_streets(streets: gpd.GeoDataFrame, *, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """The real street polygons with official codes; population is the district's census
    total split by area with seeded variation (summing exactly to the total)."""
    frame = streets.copy()
    frame["area_m2"] = measure_area_m2(frame.geometry)
    population = np.zeros(len(frame), dtype=np.int64)
    for code, (_, total) in DISTRICTS.items():
        mask = (frame["district_code"] == code).to_numpy()
        weights = frame["area_m2"].to_numpy()[mask] * rng.lognormal(0.0, 0.2, mask.sum())
        population[mask] = largest_remainder(weights, total)
    frame["population"] = population
    source = f"{CODES_SOURCE}; polygon: {STREETS_SOURCE}; population estimated from {CENSUS_SOURCE}"
    cols = ["code", "name", "district_code", "population", "area_m2", "geometry"]
    return tag(frame[cols], source=source, estimated=["population"])


def build_communities(
    streets: gpd.GeoDataFrame, codes: pd.DataFrame, *, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Partition every street into its official communities (estimated polygons) and split
    its population among them.

    Parameters
    ----------
    streets
        The ``streets`` layer (with ``population``).
    codes
        The official communities: ``code``, ``name``, ``street_code``.
    rng
        The seeded generator.
    """
    parts = []
    for street in streets.itertuples():
        official = codes[codes["street_code"] == street.code]
        if official.empty:
            msg = f"street {street.code} has no communities / 街道 {street.code} 没有社区"
            raise LayerReadError(msg)
        cells = partition(street.geometry, len(official), rng=rng)
        part = gpd.GeoDataFrame(
            official[["code", "name", "street_code"]].reset_index(drop=True),
            geometry=cells,
            crs=STORE_CRS,
        )
        part["area_m2"] = measure_area_m2(part.geometry)
        weights = part["area_m2"].to_numpy() * rng.lognormal(0.0, 0.35, len(part))
        part["population"] = largest_remainder(weights, int(street.population))
        parts.append(part)
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=STORE_CRS)
    frame = _add_elderly(frame, rng=rng)
    source = f"{CODES_SOURCE}; polygon and counts estimated from {CENSUS_SOURCE}"
    estimated = [
        "geometry",
        "population",
        "elderly_60_plus",
        "elderly_80_plus",
        "basic_recipients",
        "households",
        "area_m2",
    ]
    cols = ["code", "name", "street_code", *estimated[1:], "geometry"]
    return tag(frame[cols], source=source, estimated=estimated)


def _add_elderly(frame: gpd.GeoDataFrame, *, rng: np.random.Generator) -> gpd.GeoDataFrame:
    n = len(frame)
    population = frame["population"].to_numpy(dtype=float)
    elderly_60 = np.round(population * rng.uniform(0.22, 0.28, n))
    frame["elderly_60_plus"] = elderly_60.astype(np.int64)
    frame["elderly_80_plus"] = np.round(elderly_60 * rng.uniform(0.13, 0.16, n)).astype(np.int64)
    frame["basic_recipients"] = np.round(elderly_60 * rng.uniform(0.05, 0.06, n)).astype(np.int64)
    frame["households"] = np.round(population / rng.uniform(2.35, 2.65, n)).astype(np.int64)
    return frame


def partition(
    polygon: shapely.Geometry, n: int, *, rng: np.random.Generator
) -> list[shapely.Geometry]:
    """Split a lon/lat polygon into ``n`` non-empty, valid pieces that cover it: k-means
    centres of seeded sample points (in metres), their Voronoi cells clipped to the polygon,
    detached fragments given to the neighbouring piece. Pieces are ordered north to south."""
    if n == 1:
        return [polygon]
    projected = gpd.GeoSeries([polygon], crs=STORE_CRS).to_crs(MEASURE_CRS).iloc[0]
    points = sample_points(projected, SAMPLES_PER_COMMUNITY * n, rng=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        centres, _ = kmeans2(points, n, iter=20, minit="++", rng=rng)
    diagram = shapely.voronoi_polygons(
        shapely.multipoints(centres), extend_to=projected.buffer(1_000.0), ordered=True
    )
    cells = gpd.GeoSeries(list(diagram.geoms), crs=MEASURE_CRS).to_crs(STORE_CRS).to_numpy()
    pieces = _merge_fragments(shapely.intersection(cells, polygon))
    if len(pieces) != n or any(shapely.is_empty(pieces)) or not all(shapely.is_valid(pieces)):
        msg = f"could not partition a street into {n} communities / 无法将街道划分为 {n} 个社区"
        raise LayerReadError(msg)
    order = np.lexsort(
        (shapely.get_x(shapely.centroid(pieces)), -shapely.get_y(shapely.centroid(pieces)))
    )
    return [pieces[i] for i in order]


def _merge_fragments(pieces: np.ndarray) -> list[shapely.Geometry]:
    """Keep each piece's largest polygon; hand its other parts to the piece they share the
    longest edge with, so every result is one polygon and together they still cover."""
    main: list[shapely.Geometry] = []
    fragments: list[shapely.Geometry] = []
    for piece in pieces:
        polys = [g for g in shapely.get_parts(piece) if isinstance(g, shapely.Polygon)]
        polys.sort(key=lambda g: -g.area)
        main.append(polys[0] if polys else shapely.Polygon())
        fragments.extend(polys[1:])
    extra: list[list[shapely.Geometry]] = [[] for _ in main]
    for fragment in fragments:
        shared = shapely.length(
            shapely.intersection(shapely.boundary(fragment), shapely.boundary(main))
        )
        extra[int(np.argmax(shared))].append(fragment)
    return [
        shapely.make_valid(shapely.union_all([m, *e])) if e else m
        for m, e in zip(main, extra, strict=True)
    ]
