"""What a zone-plan edit says to people: every changed community with its name and reason,
the touched stations against their band before and after, a clear warning when a station is
left outside its band, and a preview that saves nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import Settings
from layers.store import open_store
from tests.api.test_zones_api import COLS, ROWS, _assignment, _border_unit, _code, _solve, fill_grid


@pytest.fixture(scope="module")
def zclient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The service on the grid store (4 stations, 24 communities), as a planner."""
    path = tmp_path_factory.mktemp("edit-answer") / "grid.gpkg"
    store = open_store(path)
    headers = fill_grid(store)
    store.close()
    with TestClient(create_app(Settings(store=str(path)))) as client:
        client.headers["Authorization"] = headers["planner"]
        yield client


def _post(client: TestClient, plan_id: str, body: dict[str, Any], version: int) -> Any:
    answer = client.post(
        f"/analyses/zones/{plan_id}/edits", json=body, headers={"If-Match": f'"{version}"'}
    )
    assert answer.status_code == 200, answer.text
    return answer


def test_preview_explains_and_saves_nothing(zclient: TestClient) -> None:
    plan_id = _solve(zclient)["plan_id"]
    before = _assignment(zclient, plan_id)
    unit, target = _border_unit(before, "S1")
    answer = _post(
        zclient, plan_id, {"moves": [{"unit": unit, "station": target}], "preview": True}, 1
    )
    body = answer.json()
    assert body["preview"] is True and answer.headers["ETag"] == '"1"'
    first = body["changes"][0]
    assert first["unit"] == unit and first["reason"] == "requested"
    assert first["unit_name"].startswith("社区") and first["to_name"].startswith("驿站")
    assert first["from_station"] == "S1" and first["to_station"] == target
    assert "您移动的" in first["why"] and "moved by you" in first["why"]
    assert _assignment(zclient, plan_id) == before  # nothing saved
    history = zclient.get(f"/analyses/zones/{plan_id}/versions").json()["versions"]
    assert [v["version"] for v in history] == [1]
    saved = _post(zclient, plan_id, {"moves": [{"unit": unit, "station": target}]}, 1).json()
    assert saved["version"] == 2 and saved["changes"] == body["changes"]
    after = _assignment(zclient, plan_id)
    assert {c["unit"] for c in saved["changes"]} == {u for u in before if before[u] != after[u]}
    assert {c["reason"] for c in saved["changes"][1:]} <= {"band", "contiguity", "rebalance"}
    touched = {s["station_id"]: s for s in saved["stations_touched"]}
    assert {"S1", target} <= set(touched)
    assert touched["S1"]["before"]["workload"] == 60
    assert all(s["after"]["band"] == "ok" for s in touched.values())
    assert saved["band_warnings"] == [] and saved["out_of_band"] is False


def test_an_edit_leaving_a_station_out_of_band_says_so(zclient: TestClient) -> None:
    plan_id = _solve(zclient)["plan_id"]
    before = _assignment(zclient, plan_id)
    s1_zone = [u for u, s in before.items() if s == "S1"]
    _post(zclient, plan_id, {"locks": s1_zone}, 1)  # S1 can give nothing away
    outside = next(  # a community of another zone touching S1's zone
        _code(r + dr, c + dc)
        for u in s1_zone
        for r, c in [divmod(int(u[-3:]) - 1, COLS)]
        for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0))
        if 0 <= r + dr < ROWS and 0 <= c + dc < COLS and before[_code(r + dr, c + dc)] != "S1"
    )
    body = _post(zclient, plan_id, {"moves": [{"unit": outside, "station": "S1"}]}, 2).json()
    assert body["version"] == 3 and body["out_of_band"] is True
    warning = next(w for w in body["band_warnings"] if w["station_id"] == "S1")
    assert warning["band"] == "over"
    assert "驿站1 (S1)" in warning["message"] and "117 %" in warning["message"]
    assert "above its upper limit 69" in warning["message"] and "高于上限 69" in warning["message"]
    assert "S1" in body["stations_out_of_band"]
    touched = {s["station_id"]: s for s in body["stations_touched"]}
    assert touched["S1"]["before"]["band"] == "ok" and touched["S1"]["after"]["workload"] == 70
