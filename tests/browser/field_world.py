"""The world of the field-app tests: the inspection kit (:mod:`tests.api.test_inspection_kit`:
line 0001 with 7 markers, users of every role, campaign 2025-0001) plus a long line 0003 of
200 markers every 100 m, roads crossing it (and one far away), the two districts it
separates, and campaign 2025-0003 on it with the kit's two inspectors.

Line 0003 runs east along the parallel 5 km north of the kit's origin, from 0 to 19.9 km.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.records import Campaign
from layers.store import open_store
from tests.api.test_inspection_kit import SIGMA_M, Kit, build_kit, lonlat_at

LONG_LINE = "0003"
LONG_CAMPAIGN = "2025-0003"
LONG_MARKERS = 200
SPACING_M = 100.0
LINE_NORTH_M = 5000.0
TYPES = "QABCDE"


def long_marker_no(i: int) -> str:
    """Number of the ``i``-th marker (0-based) of line 0003."""
    return f"{LONG_LINE}{i + 1:03d}{TYPES[i % len(TYPES)]}"


def long_marker_lonlat(i: int, *, dx_m: float = 0.0, dy_m: float = 0.0) -> tuple[float, float]:
    """Lon/lat of the ``i``-th marker of line 0003, moved ``dx_m`` east and ``dy_m`` north."""
    return lonlat_at(i * SPACING_M + dx_m, LINE_NORTH_M + dy_m)


def _append(store: object, name: str, frame: gpd.GeoDataFrame) -> None:
    old = store.read(name)  # type: ignore[attr-defined]
    both = gpd.GeoDataFrame(pd.concat([old, frame], ignore_index=True), crs=4326)
    store.write(name, both, kind=name)  # type: ignore[attr-defined]


def _long_layers() -> dict[str, gpd.GeoDataFrame]:
    end_m = (LONG_MARKERS - 1) * SPACING_M
    line = shapely.LineString([lonlat_at(0.0, LINE_NORTH_M), lonlat_at(end_m, LINE_NORTH_M)])
    lines = gpd.GeoDataFrame(
        {"line_code": [LONG_LINE], "name": ["朝阳区—丰台区界线"], "left_code": ["110105"],
         "left_name": ["朝阳区"], "right_code": ["110106"], "right_name": ["丰台区"],
         "length_m": [end_m]},
        geometry=[line], crs=4326,
    )  # fmt: skip
    numbers = [long_marker_no(i) for i in range(LONG_MARKERS)]
    refs = [{"name": n, "bearing_deg": 45.0, "distance_m": 8.0} for n in ("电线杆", "石碑", "大树")]
    markers = gpd.GeoDataFrame(
        {"marker_no": numbers, "line_code": LONG_LINE,
         "sequence": pd.array(range(1, LONG_MARKERS + 1), dtype="Int64"),
         "marker_type": [n[-1] for n in numbers], "sigma_m": np.full(LONG_MARKERS, SIGMA_M),
         "reference_objects": [refs] * LONG_MARKERS},
        geometry=[shapely.Point(long_marker_lonlat(i)) for i in range(LONG_MARKERS)], crs=4326,
    )  # fmt: skip
    xs = [*np.arange(0.0, end_m, 1000.0), 5000.0]
    ys = [(LINE_NORTH_M - 1000, LINE_NORTH_M + 1000)] * (len(xs) - 1) + [(30_000.0, 31_000.0)]
    roads = gpd.GeoDataFrame(
        {"edge_id": np.arange(len(xs)), "highway": "track",
         "name": [f"巡线路{i + 1}" for i in range(len(xs))]},
        geometry=[shapely.LineString([lonlat_at(x, y0), lonlat_at(x, y1)])
                  for x, (y0, y1) in zip(xs, ys, strict=True)], crs=4326,
    )  # fmt: skip
    north = shapely.Polygon(
        [lonlat_at(-500, LINE_NORTH_M), lonlat_at(end_m + 500, LINE_NORTH_M),
         lonlat_at(end_m + 500, LINE_NORTH_M + 3000), lonlat_at(-500, LINE_NORTH_M + 3000)]
    )  # fmt: skip
    south = shapely.Polygon(
        [lonlat_at(-500, LINE_NORTH_M - 3000), lonlat_at(end_m + 500, LINE_NORTH_M - 3000),
         lonlat_at(end_m + 500, LINE_NORTH_M), lonlat_at(-500, LINE_NORTH_M)]
    )  # fmt: skip
    districts = gpd.GeoDataFrame(
        {"code": ["110105", "110106"], "name": ["朝阳区", "丰台区"]},
        geometry=[north, south],
        crs=4326,
    )
    return {"boundary_lines": lines, "markers": markers, "roads": roads, "districts": districts}


def build_field_world(location: str) -> Kit:
    """The kit at ``location`` with line 0003, its base layers and campaign 2025-0003."""
    kit = build_kit(location)
    store = open_store(location)
    try:
        for name, frame in _long_layers().items():
            if name in ("boundary_lines", "markers"):
                _append(store, name, frame)
            else:
                store.write(name, frame, kind=name)
    finally:
        store.close()
    campaign = Campaign(
        LONG_CAMPAIGN, LONG_LINE, 1, 2025, "2025年朝阳区—丰台区界线联检",
        "110105", "朝阳区", "110106", "丰台区",
    )  # fmt: skip
    kit.records.add_campaign(campaign, actor="planner")
    kit.records.add_member(LONG_CAMPAIGN, "insp_left", side="left", actor="planner")
    kit.records.add_member(LONG_CAMPAIGN, "insp_right", side="right", actor="planner")
    return kit
