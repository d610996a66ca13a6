"""``GET /analyses/network/quality``, ``/maps/network`` and the coverage answer's
``network_suspects`` on a copy of the demo store."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings


@pytest.fixture(scope="module")
def demo_client(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("quality") / "demo.gpkg"
    shutil.copyfile(demo_store, path)
    with TestClient(create_app(Settings(store=str(path)))) as client:
        yield client


def test_the_quality_report_of_the_demo(demo_client: TestClient) -> None:
    response = demo_client.get("/analyses/network/quality", params={"limit": 20})
    assert response.status_code == 200, response.text
    answer = response.json()
    summary = answer["summary"]
    assert summary["network"]["components"] == 1 + summary["network"]["dropped_components"]
    assert summary["findings"]["missing_link"] > 0 and summary["findings"]["detour"] > 10
    assert answer["findings_total"] == sum(summary["findings"].values())
    features = answer["findings"]["features"]
    assert len(features) == 20
    props = [f["properties"] for f in features]
    assert [p["kind"] for p in props[:5]] == ["detour"] * 5  # the worst first
    (erre,) = [p for p in props if p["name"] == "二热社区居委会"]
    assert erre["severity"] == "high" and erre["street"] == "广安门外街道"
    assert erre["straight_m"] == pytest.approx(370, abs=1)
    assert erre["network_m"] == pytest.approx(3984, abs=1)  # the nearest station on foot
    assert 116.3 < erre["lon"] < 116.4 and features[0]["geometry"]["type"] == "Point"
    assert 1.2 < summary["detours"]["median"] < 3.0
    assert any("中位数" in line for line in answer["lines"])
    stricter = demo_client.get("/analyses/network/quality", params={"detour_ratio": 10})
    assert stricter.json()["summary"]["findings"]["detour"] < summary["findings"]["detour"]
    bare = demo_client.get("/analyses/network/quality", params={"demand": ""}).json()
    assert bare["summary"]["findings"]["detour"] == 0 and bare["summary"]["detours"] == {}


def test_bad_options_are_4xx(demo_client: TestClient) -> None:
    unknown = demo_client.get("/analyses/network/quality", params={"demand": "nope"})
    assert unknown.status_code == 422 and "demand" in unknown.text and "没有该图层" in unknown.text
    ratio = demo_client.get("/analyses/network/quality", params={"detour_ratio": 0})
    assert 400 <= ratio.status_code < 500


def test_coverage_flags_units_walking_across_a_gap(demo_client: TestClient) -> None:
    body = {"facilities": "stations", "gaps": 0, "levels": ["district"]}
    walk = demo_client.post("/analyses/coverage", json=body).json()
    suspects = walk["network_suspects"]
    names = {s["name"] for s in suspects}
    assert "二热社区居委会" in names and len(suspects) > 10
    assert all(s["ratio"] is None or s["ratio"] > 3 for s in suspects)
    assert any("network_suspects" in note for note in walk["notes"])
    line = demo_client.post("/analyses/coverage", json={**body, "mode": "euclidean"}).json()
    assert line["network_suspects"] is None
    assert any("median" in note and "中位数" in note for note in line["notes"])


def test_the_network_page_is_listed(demo_client: TestClient) -> None:
    page = demo_client.get("/maps/network")
    assert page.status_code == 200 and "mzgis" in page.text
    assert "/maps/network" in demo_client.get("/maps").text
