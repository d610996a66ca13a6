"""The basemap drawn from data: road tiers, road and division labels."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely import affinity

from api.maps.basemap import polygon_labels, road_labels, road_tiers

GK = "EPSG:4548"
X0, Y0 = 500_000.0, 4_420_000.0


def _roads(rows: list[tuple[str, str | None, list[tuple[float, float]]]]) -> gpd.GeoDataFrame:
    """Roads from (highway, name, vertices in metres east/north of (X0, Y0))."""
    lines = [shapely.LineString([(X0 + x, Y0 + y) for x, y in pts]) for _, _, pts in rows]
    frame = gpd.GeoDataFrame(
        {"highway": [r[0] for r in rows], "name": [r[1] for r in rows]}, geometry=lines, crs=GK
    )
    return frame.to_crs(4326)


def test_road_tiers_merge_and_draw_each_street_once() -> None:
    roads = _roads(
        [
            ("primary", "长安街", [(0, 0), (100, 0)]),
            ("primary", "长安街", [(100, 0), (0, 0)]),  # the other direction
            ("primary_link", None, [(100, 0), (200, 0)]),
            ("residential", None, [(0, 50), (80, 50)]),
            ("footway", None, [(0, 90), (30, 90)]),
            ("platform", None, [(0, 150), (40, 150)]),  # not drawn
        ]
    )
    tiers = road_tiers(roads, tolerance_m=0.5).set_index("tier").to_crs(GK)
    assert list(tiers.index) == ["minor", "major"]
    assert tiers.length["major"] == pytest.approx(200, abs=0.01)
    assert shapely.get_num_geometries(tiers.geometry["major"]) == 1  # merged into one line
    assert tiers.length["minor"] == pytest.approx(110, abs=0.01)


def test_road_labels_sit_mid_way_along_the_longest_stretch() -> None:
    roads = _roads(
        [
            ("secondary", "西四北大街", [(0, 0), (100, 0)]),
            ("secondary", "西四北大街", [(100, 0), (300, 0)]),
            ("secondary", "西四北大街", [(1000, 0), (1050, 0)]),  # a short separate piece
            ("tertiary", "小胡同", [(0, 500), (100, 500)]),  # too short to label
            ("residential", "居民路", [(0, 800), (900, 800)]),  # minor: no label
        ]
    )
    labels = road_labels(roads)
    assert [t for _, _, t in labels] == ["西四北大街"]
    lat, lon, _ = labels[0]
    at = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(GK).iloc[0]
    assert at.x == pytest.approx(X0 + 150, abs=0.5) and at.y == pytest.approx(Y0, abs=0.5)


def test_polygon_labels_are_inside_their_polygon() -> None:
    ring = shapely.Polygon([(0, 0), (10, 0), (10, 10), (8, 10), (8, 2), (0, 2)])  # an L
    frame = gpd.GeoDataFrame(
        {"name": ["东城区", None]},
        geometry=[affinity.translate(ring, 116, 39), shapely.box(117, 40, 118, 41)],
        crs=4326,
    )
    labels = polygon_labels(frame)
    assert len(labels) == 1
    lat, lon, name = labels[0]
    assert name == "东城区" and frame.geometry.iloc[0].contains(shapely.Point(lon, lat))
