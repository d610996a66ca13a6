"""``GET /collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}``: Mapbox vector tiles of a
layer on both store backends, with the properties the map pages show, ETags, and clear 4xx
answers for addresses outside the grid or unknown layers."""

from __future__ import annotations

import math

import mapbox_vector_tile
from fastapi.testclient import TestClient

from tests.api.conftest import STREET_A

Z = 14


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int(
        (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    )


def url(layer: str, z: int, x: int, y: int) -> str:
    return f"/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}"


def test_a_tile_of_communities(client: TestClient) -> None:
    x, y = tile_of(STREET_A[0] + 0.005, STREET_A[1] + 0.01, Z)
    response = client.get(url("communities", Z, x, y))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layer = mapbox_vector_tile.decode(response.content)["communities"]
    # a tile carries each feature's id (and nothing a page does not need to draw it) ...
    props = {f["properties"]["code"]: f["properties"] for f in layer["features"]}
    assert props["110101001001"] == {"code": "110101001001"}
    # ... and the page reads a clicked feature's properties from the layer's items by that id
    item = client.get("/collections/communities/items/110101001001").json()
    assert item["properties"]["name"] == "多福巷社区" and item["properties"]["population"] == 3000
    # the same tile again: not modified
    again = client.get(
        url("communities", Z, x, y), headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_an_empty_tile_and_bad_addresses(client: TestClient) -> None:
    empty = client.get(url("communities", 3, 0, 0))
    assert empty.status_code == 200 and empty.content == b""
    for z, x, y, field in ((2, 4, 0, "x"), (2, 0, 9, "y")):
        response = client.get(url("communities", z, x, y))
        assert response.status_code == 400
        body = response.json()
        assert body["problems"][0]["field"] == field and " / " in body["detail"]
    assert client.get(url("communities", 23, 0, 0)).status_code == 400
    assert client.get(url("nope", 3, 0, 0)).status_code == 404
