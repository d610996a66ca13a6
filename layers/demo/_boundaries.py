"""Administrative boundary lines (real geometry: the shared edges of the street polygons),
estimated boundary markers along them, and an estimated 2025 inspection campaign."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.demo._common import DISTRICTS, MEASURE_CRS, STORE_CRS, measure_length_m, tag

__all__ = ["build_boundary_lines", "build_markers"]

MARKER_SPACING_M = 400.0
BEIJING = ("110000", "北京市")
REFERENCE_NAMES = (
    "路灯杆", "电线杆", "消防栓", "建筑物墙角", "围墙拐角", "行道树", "井盖", "交通标志杆",
)  # fmt: skip
LINES_SOURCE = "shared edges of the Beijing street polygons (tsinghua-fib-lab/mosstool)"


def _shared(a: shapely.Geometry, b: shapely.Geometry) -> shapely.Geometry:
    """The merged lines two polygons share (points where they only touch are dropped)."""
    parts = shapely.get_parts(shapely.intersection(shapely.boundary(a), shapely.boundary(b)))
    lines = [p for p in parts if isinstance(p, shapely.LineString | shapely.MultiLineString)]
    if not lines:
        return shapely.LineString()
    return shapely.line_merge(shapely.union_all(lines))


def build_boundary_lines(
    districts: gpd.GeoDataFrame, others: gpd.GeoDataFrame, district_codes: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Line 0001 is the 东城/西城 boundary; then each district's boundary with each
    neighbouring district, and any rest with ``北京市`` (110000) on the outer side."""
    geom = dict(zip(districts["code"], districts.geometry, strict=True))
    (a, b) = list(DISTRICTS)
    rows = [(a, DISTRICTS[a][0], b, DISTRICTS[b][0], _shared(geom[a], geom[b]))]
    code_of = dict(zip(district_codes["name"], district_codes["code"], strict=True))
    near = others[others.intersects(shapely.union_all(list(geom.values())))]
    neighbours = near.dissolve("district_name").geometry
    for code, (name, _) in DISTRICTS.items():
        rest = geom[code].boundary
        for other, polygon in neighbours.sort_index().items():
            line = _shared(geom[code], polygon)
            if shapely.is_empty(line):
                continue
            rows.append((code, name, code_of.get(str(other), BEIJING[0]), str(other), line))
            rest = rest.difference(line)
        for partner in DISTRICTS:
            rest = rest.difference(geom[partner].boundary) if partner != code else rest
        if measure_length_m(gpd.GeoSeries([rest], crs=STORE_CRS))[0] > 1.0:
            rows.append((code, name, *BEIJING, shapely.line_merge(rest)))
    frame = gpd.GeoDataFrame(
        {
            "line_code": [f"{i + 1:04d}" for i in range(len(rows))],
            "name": [f"{r[1]}—{r[3]}界线" for r in rows],
            "left_code": [r[0] for r in rows],
            "left_name": [r[1] for r in rows],
            "right_code": [r[2] for r in rows],
            "right_name": [r[3] for r in rows],
        },
        geometry=[r[4] for r in rows],
        crs=STORE_CRS,
    )
    frame["length_m"] = measure_length_m(frame.geometry)
    return tag(frame, source=LINES_SOURCE, estimated=[])


def build_markers(lines: gpd.GeoDataFrame, *, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Markers every ~400 m along each line (registered positions estimated); line 0001 also
    has a tri-junction marker (type Q) at each end."""
    projected = lines.to_crs(MEASURE_CRS).geometry.to_numpy()
    codes: list[str] = []
    types: list[str] = []
    points: list[np.ndarray] = []
    for code, line in zip(lines["line_code"], projected, strict=True):
        n = max(1, round(line.length / MARKER_SPACING_M))
        at = (np.arange(n) + 0.5) * line.length / n
        kinds = rng.choice(list("ABCDE"), size=n, p=[0.82, 0.07, 0.05, 0.03, 0.03]).tolist()
        if code == "0001" and isinstance(line, shapely.LineString):
            at = np.concatenate([[0.0], at, [line.length]])
            kinds = ["Q", *kinds, "Q"]
        points.append(shapely.line_interpolate_point(line, at))
        codes += [code] * len(at)
        types += kinds
    sequence = pd.Series(codes).groupby(codes).cumcount().to_numpy() + 1
    n = len(codes)
    frame = gpd.GeoDataFrame(
        {
            "marker_no": [f"{c}{s:03d}{t}" for c, s, t in zip(codes, sequence, types, strict=True)],
            "line_code": codes,
            "sequence": sequence,
            "marker_type": types,
            "sigma_m": np.round(rng.uniform(0.05, 0.5, n), 2),
            "reference_objects": [_references(rng) for _ in range(n)],
            "installed_year": rng.choice([2003, 2008, 2013, 2018], size=n),
        },
        geometry=np.concatenate(points),
        crs=MEASURE_CRS,
    ).to_crs(STORE_CRS)
    estimated = ["geometry", "marker_type", "sigma_m", "reference_objects", "installed_year"]
    source = f"estimated markers along the lines of {LINES_SOURCE}"
    return tag(frame, source=source, estimated=estimated)


def _references(rng: np.random.Generator) -> list[dict[str, object]]:
    names = rng.choice(REFERENCE_NAMES, size=int(rng.integers(3, 5)), replace=False)
    return [
        {
            "name": str(name),
            "bearing_deg": round(float(rng.uniform(0.0, 360.0)), 1),
            "distance_m": round(float(rng.uniform(5.0, 60.0)), 1),
        }
        for name in names
    ]
