"""Items of a collection: paging, bbox filtering, parameter errors, single features and
JSON-safe properties."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ROAD_COUNT, STATION_POINTS, STREET_A


def _links(body: dict) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in body["links"]}


def test_first_page_with_default_limit(client: TestClient) -> None:
    response = client.get("/collections/roads/items")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert (body["numberMatched"], body["numberReturned"]) == (ROAD_COUNT, 10)
    assert [f["id"] for f in body["features"]] == list(range(10))
    links = _links(body)
    assert "prev" not in links
    assert parse_qs(urlsplit(links["next"]).query) == {"offset": ["10"], "limit": ["10"]}
    stamp = dt.datetime.fromisoformat(body["timeStamp"])
    assert abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) < 60


def test_next_links_walk_every_feature_once(client: TestClient) -> None:
    url: str | None = "/collections/roads/items?limit=7"
    seen: list[int] = []
    pages = 0
    while url:
        body = client.get(url).json()
        seen += [f["id"] for f in body["features"]]
        assert body["numberReturned"] == len(body["features"])
        url = _links(body).get("next")
        pages += 1
    assert seen == list(range(ROAD_COUNT))
    assert pages == 4  # 7 + 7 + 7 + 4


def test_last_page_has_prev_and_no_next(client: TestClient) -> None:
    body = client.get("/collections/roads/items", params={"offset": 20, "limit": 10}).json()
    assert (body["numberMatched"], body["numberReturned"]) == (ROAD_COUNT, 5)
    links = _links(body)
    assert "next" not in links
    assert parse_qs(urlsplit(links["prev"]).query) == {"offset": ["10"], "limit": ["10"]}


def test_offset_past_the_end_is_an_empty_page(client: TestClient) -> None:
    body = client.get("/collections/roads/items", params={"offset": 1000}).json()
    assert (body["numberMatched"], body["numberReturned"], body["features"]) == (ROAD_COUNT, 0, [])


def test_bbox_keeps_features_inside_and_drops_those_outside(client: TestClient) -> None:
    bbox = ",".join(map(str, STREET_A))
    body = client.get("/collections/stations/items", params={"bbox": bbox}).json()
    x0, y0, x1, y1 = STREET_A
    inside = {k for k, (x, y) in STATION_POINTS.items() if x0 <= x <= x1 and y0 <= y <= y1}
    assert inside == {"S1", "S2"}
    assert {f["id"] for f in body["features"]} == inside
    assert body["numberMatched"] == 2


def test_bbox_with_paging_counts_all_matches(client: TestClient) -> None:
    params = {"bbox": "116.3,39.8,116.5,40.0", "limit": 3}
    body = client.get("/collections/stations/items", params=params).json()
    assert (body["numberMatched"], body["numberReturned"]) == (4, 3)
    nxt = client.get(_links(body)["next"]).json()
    assert [f["id"] for f in nxt["features"]] == ["S4"]


def test_bbox_intersects_polygons(client: TestClient) -> None:
    # a small box inside the eastern street touches only the community covering it
    body = client.get("/collections/communities/items?bbox=116.41,39.91,116.411,39.911").json()
    assert [f["id"] for f in body["features"]] == ["110101002001"]


@pytest.mark.parametrize(
    ("bbox", "named"),
    [
        ("116.3,39.8,116.5", "got 3"),
        ("116.3,39.8,116.5,40,1", "got 5"),
        ("a,b,c,d", "'a'"),
        ("116.3,39.8,nan,40", "'nan'"),
        ("116.5,39.8,116.3,40.0", "minimum"),
        ("116,100,117,101", "latitude 100"),
        ("-200,39,117,40", "longitude -200"),
        ("", "got 1"),
    ],
)
def test_bad_bbox_is_400_naming_the_value(client: TestClient, bbox: str, named: str) -> None:
    response = client.get("/collections/stations/items", params={"bbox": bbox})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_parameter"
    assert "bbox" in body["detail"]
    assert named in body["detail"]
    assert f"'{bbox}'" in body["detail"]
    assert body["problems"][0]["field"] == "bbox"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"limit": 0}, "limit='0'"),
        ({"limit": -1}, "limit='-1'"),
        ({"limit": 100001}, "limit='100001'"),
        ({"limit": "abc"}, "limit='abc'"),
        ({"limit": "2.5"}, "limit='2.5'"),
        ({"offset": -1}, "offset='-1'"),
        ({"offset": 10**30}, "offset="),
        ({"colour": "red"}, "colour='red'"),
    ],
)
def test_bad_paging_parameters_are_400(client: TestClient, params: dict, named: str) -> None:
    response = client.get("/collections/roads/items", params=params)
    assert response.status_code == 400
    body = response.json()
    assert named in body["detail"]
    assert " / " in body["detail"]
    assert body["problems"]


def test_one_feature_by_its_id(client: TestClient) -> None:
    response = client.get("/collections/stations/items/S3")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    feature = response.json()
    assert feature["type"] == "Feature"
    assert feature["id"] == "S3"
    assert feature["geometry"] == {"type": "Point", "coordinates": list(STATION_POINTS["S3"])}
    assert feature["properties"]["capacity_persons"] == 80
    assert {link["rel"] for link in feature["links"]} == {"self", "collection"}


def test_integer_ids_are_found_from_the_path(client: TestClient) -> None:
    feature = client.get("/collections/roads/items/7").json()
    assert feature["id"] == 7
    assert feature["properties"]["edge_id"] == 7


@pytest.mark.parametrize("fid", ["S9", "x'; DROP TABLE stations; --", "0"])
def test_unknown_feature_is_404_naming_it(client: TestClient, fid: str) -> None:
    response = client.get(f"/collections/stations/items/{fid}")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "feature_not_found"
    assert repr(fid) in body["detail"]
    assert client.get("/collections/stations").json()["numberOfFeatures"] == 5


def test_missing_values_are_null_not_nan(client: TestClient) -> None:
    response = client.get("/collections/communities/items")
    assert "NaN" not in response.text
    areas = {f["id"]: f["properties"]["area_m2"] for f in response.json()["features"]}
    assert areas == {"110101001001": 250_000.0, "110101001002": None, "110101002001": 400_000.0}
    stars = {
        f["id"]: f["properties"]["star_rating"]
        for f in client.get("/collections/stations/items").json()["features"]
    }
    assert stars == {"S1": 3, "S2": None, "S3": 5, "S4": 1, "S5": 2}


def test_polygons_are_closed_rings_in_lon_lat(client: TestClient) -> None:
    feature = client.get("/collections/streets/items/110101001").json()
    ring = feature["geometry"]["coordinates"][0]
    assert feature["geometry"]["type"] == "Polygon"
    assert ring[0] == ring[-1]
    xs, ys = zip(*ring, strict=True)
    assert (min(xs), min(ys), max(xs), max(ys)) == pytest.approx(STREET_A)
