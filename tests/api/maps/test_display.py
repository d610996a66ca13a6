"""Display preparation: simplification in metres, rounding, compact script-safe text."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from api.maps.display import features_text, geometry_family, shared_properties, simplified

GK = "EPSG:4548"  # CGCS2000 / 3-degree Gauss-Kruger CM 117E, metres


def _square_with_wiggles() -> gpd.GeoDataFrame:
    """A 500 m square, densified to 5 m segments, each vertex pushed ±0.2 m."""
    square = shapely.segmentize(shapely.box(500_000, 4_420_000, 500_500, 4_420_500), 5.0)
    xy = shapely.get_coordinates(square)
    xy[:-1, 0] += np.where(np.arange(len(xy) - 1) % 2 == 0, 0.2, -0.2)
    xy[-1] = xy[0]
    wiggly = shapely.Polygon(xy)
    return gpd.GeoDataFrame({"name": ["a"]}, geometry=[wiggly], crs=GK).to_crs(4326)


def test_simplify_in_metres_keeps_the_shape() -> None:
    frame = _square_with_wiggles()
    before = shapely.get_num_coordinates(frame.geometry.iloc[0])
    thin = simplified(frame, tolerance_m=1.0)
    after = shapely.get_num_coordinates(thin.geometry.iloc[0])
    assert before > 400 and after <= 6
    area = thin.to_crs(GK).area.iloc[0]
    assert area == pytest.approx(250_000, rel=0.01)
    assert shapely.get_num_coordinates(frame.geometry.iloc[0]) == before  # input untouched


def test_features_text_rounds_and_keeps_asked_fields() -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["</script><b>x", "b"], "n": [1.23456, np.nan], "other": [1, 2]},
        geometry=[shapely.Point(116.1234567, 39.7654321), shapely.Point(116.2, 39.8)],
        crs=4326,
    )
    text = features_text(frame, fields=["name", "n", "missing"])
    assert "</script" not in text
    data = json.loads(text)
    assert data["g"][0]["coordinates"] == [116.123457, 39.765432]
    assert data["p"] == [{"name": "</script><b>x", "n": 1.235}, {"name": "b", "n": None}]
    polygons = features_text(_square_with_wiggles(), fields=[])
    ring = json.loads(polygons)["g"][0]["coordinates"][0]
    assert all(round(c, 5) == c for xy in ring for c in xy)
    assert json.loads(polygons)["p"] is None


def test_features_text_leaves_out_rows_without_geometry() -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b"]}, geometry=[shapely.Point(116.0, 39.0), None], crs=4326
    )
    assert len(json.loads(features_text(frame, fields=["name"]))["g"]) == 1


def test_shared_properties_are_sent_once() -> None:
    frame = gpd.GeoDataFrame(
        {
            "name": ["a", "b", "c"],
            "source": ["census", "census", "census"],
            "refs": [[1], [1], [1]],
            "tags": [[1], [2], [1]],
        },
        geometry=[shapely.Point(116, 39)] * 3,
        crs=4326,
    )
    varying, shared = shared_properties(frame, ["name", "source", "refs", "tags", "nope"])
    assert varying == ["name", "tags"]
    assert shared == {"source": "census", "refs": [1]}


def test_geometry_family() -> None:
    points = gpd.GeoSeries([shapely.Point(0, 0), shapely.Point(1, 1)], crs=4326)
    lines = gpd.GeoSeries([shapely.LineString([(0, 0), (1, 1)])], crs=4326)
    assert geometry_family(gpd.GeoDataFrame(geometry=points)) == "point"
    assert geometry_family(gpd.GeoDataFrame(geometry=lines)) == "line"
    assert geometry_family(gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=4326))) == "polygon"
