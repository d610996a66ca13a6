"""The bulk GeoJSON writer against geopandas' own (an independent implementation)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from api.geojson import feature_collection, feature_document, feature_strings


def _frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["a", "b", "c"],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "ratio": [0.5, np.nan, np.inf],
            "flag": pd.array([True, None, False], dtype="boolean"),
            "when": pd.to_datetime(
                pd.Series(["2024-01-02T03:04:05Z", None, "2024-12-31T23:59:59Z"])
            ),
            "extra": [{"k": [1, 2]}, None, ["x"]],
            "label": ["第一\n行", None, 'quote " and \u2028'],
        },
        geometry=[
            shapely.Point(116.123456789, 39.9),
            shapely.Polygon([(116, 39), (116.1, 39), (116.1, 39.1), (116, 39)]),
            None,
        ],
        crs="EPSG:4326",
    )


def test_matches_geopandas_geometry_and_ids() -> None:
    frame = _frame()
    ours = json.loads(feature_collection(frame, id_field="code"))
    theirs = json.loads(frame[["code", "geometry"]].to_json(na="null"))
    assert [f["id"] for f in ours["features"]] == ["a", "b", "c"]
    for mine, ref in zip(ours["features"], theirs["features"], strict=True):
        if ref["geometry"] is None:
            assert mine["geometry"] is None
            continue
        assert mine["geometry"]["type"] == ref["geometry"]["type"]
        assert np.allclose(
            np.array(mine["geometry"]["coordinates"], dtype=float),
            np.array(ref["geometry"]["coordinates"], dtype=float),
            atol=1e-7,
        )


def test_properties_are_json_safe() -> None:
    props = [json.loads(f)["properties"] for f in feature_strings(_frame(), id_field="code")]
    assert props[0] == {
        "code": "a",
        "count": 1,
        "ratio": 0.5,
        "flag": True,
        "when": "2024-01-02T03:04:05.000Z",
        "extra": {"k": [1, 2]},
        "label": "第一\n行",
    }
    assert props[1]["count"] is None
    assert props[1]["ratio"] is None
    assert props[1]["flag"] is None
    assert props[1]["when"] is None
    assert props[2]["ratio"] is None  # infinity is not JSON
    assert props[2]["label"] == 'quote " and \u2028'


def test_coordinates_are_rounded_to_seven_decimals() -> None:
    feature = json.loads(feature_strings(_frame())[0])
    assert feature["geometry"]["coordinates"] == [116.1234568, 39.9]
    assert "id" not in feature


def test_projected_frames_are_written_in_lon_lat() -> None:
    frame = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(116.4, 39.9)], crs=4326)
    projected = frame.to_crs("EPSG:4547")
    (text,) = feature_strings(projected)
    lon, lat = json.loads(text)["geometry"]["coordinates"]
    assert (lon, lat) == (116.4, 39.9)


def test_collection_members_and_empty_frames() -> None:
    empty = _frame().iloc[:0]
    body = json.loads(feature_collection(empty, members={"numberMatched": 0, "links": []}))
    assert body == {"type": "FeatureCollection", "numberMatched": 0, "links": [], "features": []}


def test_feature_document_adds_links() -> None:
    doc = json.loads(
        feature_document(_frame(), id_field="code", members={"links": [{"rel": "self"}]})
    )
    assert doc["id"] == "a"
    assert doc["links"] == [{"rel": "self"}]
