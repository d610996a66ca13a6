"""Vector tiles (:mod:`layers.tiles`): the encoder against an independent one
(mapbox-vector-tile decodes both), polygons with holes and the MVT winding rule, lines and
points, features too small for a zoom, and ``Store.vector_tile`` on both backends (the
PostGIS store answers with ``ST_AsMVT``)."""

from __future__ import annotations

import math

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pytest
import shapely

from layers import validate
from layers.store import Store
from layers.tiles import TileError, encode_tile, tile_bbox_lonlat, tile_bounds_m

Z = 14
#: the reference encoder (mapbox-vector-tile) still calls shapely.ops.transform
pytestmark = pytest.mark.filterwarnings("ignore:The 'shapely.ops.transform:DeprecationWarning")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def decode(data: bytes) -> dict:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})


def shapes(data: bytes, layer: str, key: str) -> dict[object, shapely.Geometry]:
    """Decoded features of ``layer`` by property ``key``, as shapely geometries."""
    out = {}
    for feature in decode(data)[layer]["features"]:
        out[feature["properties"][key]] = shapely.geometry.shape(feature["geometry"])
    return out


def blocks(
    n: int, *, lon0: float = 116.40, lat0: float = 39.90, d: float = 0.0009
) -> gpd.GeoDataFrame:
    """``n`` × ``n`` square blocks, one with a hole, with names, codes and a share."""
    xs, ys = np.meshgrid(lon0 + np.arange(n) * d * 1.2, lat0 + np.arange(n) * d * 1.2)
    geoms = list(shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + d, ys.ravel() + d))
    x0, y0 = lon0 + d * 0.3, lat0 + d * 0.3
    geoms[0] = shapely.Polygon(
        shapely.box(lon0, lat0, lon0 + d, lat0 + d).exterior.coords,
        [[(x0, y0), (x0 + d * 0.4, y0), (x0 + d * 0.4, y0 + d * 0.4), (x0, y0 + d * 0.4)]],
    )
    return gpd.GeoDataFrame(
        {
            "code": [f"B{i:04d}" for i in range(n * n)],
            "name": [f"街区{i}" for i in range(n * n)],
            "share": np.linspace(0, 1, n * n),
        },
        geometry=geoms,
        crs=4326,
    )


def test_matches_an_independent_encoder() -> None:
    frame = blocks(6)
    x, y = tile_of(116.402, 39.902, Z)
    ours = shapes(
        encode_tile(frame, z=Z, x=x, y=y, layer="b", columns=["code", "name", "share"]), "b", "code"
    )
    # the reference: the same clipped features, encoded by mapbox-vector-tile
    x0, y0, x1, y1 = tile_bounds_m(Z, x, y)
    merc = frame.to_crs(3857)
    pad = (x1 - x0) * 64 / 4096
    clipped = shapely.clip_by_rect(merc.geometry.to_numpy(), x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    features = [
        {"geometry": g, "properties": {"code": c}}
        for g, c in zip(clipped, merc["code"], strict=True)
        if not g.is_empty
    ]
    reference = mapbox_vector_tile.encode(
        [{"name": "b", "features": features}],
        default_options={"quantize_bounds": (x0, y0, x1, y1), "extents": 4096},
    )
    theirs = shapes(reference, "b", "code")
    assert set(ours) == set(theirs) and len(ours) > 10
    unit = 1.0  # one tile unit
    for code, shape in ours.items():
        assert shape.is_valid
        assert shape.symmetric_difference(theirs[code]).area <= 6 * unit * shape.length / 4


def test_properties_holes_and_winding() -> None:
    frame = blocks(2)
    frame.loc[1, "name"] = None
    x, y = tile_of(116.4005, 39.9005, Z)
    data = encode_tile(frame, z=Z, x=x, y=y, layer="b", columns=["code", "name", "share", "nope"])
    features = {f["properties"]["code"]: f for f in decode(data)["b"]["features"]}
    assert features["B0001"]["properties"] == {"code": "B0001", "share": pytest.approx(1 / 3)}
    assert features["B0000"]["properties"]["name"] == "街区0"
    # the decoder tells exterior rings from holes by their winding (positive area in tile
    # coordinates, y down): a hole wound the wrong way would come back as a second polygon
    holed = shapely.geometry.shape(features["B0000"]["geometry"])
    assert holed.geom_type == "Polygon" and len(holed.interiors) == 1
    assert decode(data)["b"]["extent"] == 4096


def test_points_lines_and_multipolygons() -> None:
    frame = gpd.GeoDataFrame(
        {"code": ["P", "L", "M", "MP"]},
        geometry=[
            shapely.Point(116.401, 39.901),
            shapely.LineString([(116.400, 39.900), (116.402, 39.902), (116.403, 39.900)]),
            shapely.MultiPolygon([shapely.box(116.400, 39.900, 116.401, 39.9005),
                                  shapely.box(116.402, 39.900, 116.403, 39.9005)]),
            shapely.MultiPoint([(116.4001, 39.9001), (116.4021, 39.9011)]),
        ],
        crs=4326,
    )  # fmt: skip
    x, y = tile_of(116.4015, 39.901, Z)
    got = shapes(encode_tile(frame, z=Z, x=x, y=y, layer="m", columns=["code"]), "m", "code")
    assert {k: v.geom_type for k, v in got.items()} == {
        "P": "Point", "L": "LineString", "M": "MultiPolygon", "MP": "MultiPoint"
    }  # fmt: skip
    assert len(got["L"].coords) == 3


def test_small_features_wait_for_their_zoom_and_points_never() -> None:
    tiny = shapely.box(116.40, 39.90, 116.4002, 39.9002)  # about 20 m across
    frame = gpd.GeoDataFrame(
        {"code": ["tiny", "point"]}, geometry=[tiny, shapely.Point(116.4001, 39.9001)], crs=4326
    )
    low, high = 8, 14
    codes = {}
    for z in (low, high):
        x, y = tile_of(116.4001, 39.9001, z)
        data = encode_tile(frame, z=z, x=x, y=y, layer="t", columns=["code"])
        codes[z] = {f["properties"]["code"] for f in decode(data)["t"]["features"]}
    assert codes == {low: {"point"}, high: {"tiny", "point"}}


def test_empty_and_bad_addresses() -> None:
    frame = blocks(2)
    assert encode_tile(frame.iloc[:0], z=3, x=1, y=1, layer="b") == b""
    x, y = tile_of(0.0, 0.0, 10)  # far from Beijing: nothing drawn
    assert encode_tile(frame, z=10, x=x, y=y, layer="b") == b""
    for z, x, y in ((-1, 0, 0), (23, 0, 0), (2, 4, 0), (2, 0, -1)):
        with pytest.raises(TileError, match=r"瓦片|缩放"):
            encode_tile(frame, z=z, x=x, y=y, layer="b")


def test_store_tiles_on_both_backends(store: Store) -> None:
    communities = blocks(5).rename(columns={"share": "elderly_share"})
    store.write("blocks", communities, kind="communities")
    x, y = tile_of(116.402, 39.902, Z)
    data = store.vector_tile("blocks", Z, x, y, columns=["code", "name", "elderly_share"])
    got = shapes(data, "blocks", "code")
    bbox = tile_bbox_lonlat(Z, x, y, margin=64 / 4096)
    expected = set(communities[communities.intersects(shapely.box(*bbox))]["code"])
    assert set(got) == expected and len(expected) > 5
    feature = next(
        f for f in decode(data)["blocks"]["features"] if f["properties"]["code"] == "B0003"
    )
    assert feature["properties"]["name"] == "街区3"
    assert feature["properties"]["elderly_share"] == pytest.approx(3 / 24)
    assert store.vector_tile("blocks", 10, 0, 0) == b""
    with pytest.raises(TileError):
        store.vector_tile("blocks", 30, 0, 0)


def test_store_tiles_of_points(store: Store) -> None:
    frame = validate(
        gpd.GeoDataFrame(
            {"station_id": ["S1", "S2"], "name": ["东四驿站", "西单驿站"],
             "capacity_persons": [30, 40], "status": ["运营", "运营"]},
            geometry=gpd.points_from_xy([116.4001, 116.4003], [39.9001, 39.9002]), crs=4326,
        ),
        "stations",
    )[0]  # fmt: skip
    store.write("stations", frame, kind="stations")
    x, y = tile_of(116.4002, 39.90015, Z)
    data = store.vector_tile("stations", Z, x, y, columns=["name", "capacity_persons"])
    got = {f["properties"]["name"]: f["properties"] for f in decode(data)["stations"]["features"]}
    assert got == {
        "东四驿站": {"name": "东四驿站", "capacity_persons": 30},
        "西单驿站": {"name": "西单驿站", "capacity_persons": 40},
    }
