"""``/analyses/zones``: solve, read, edit (If-Match / ETag, as a signed-in planner),
report, validate a hand-drawn plan, on a small grid store of 24 communities and 4 stations in
one street."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import issue_token
from api.config import Settings
from layers.records import ROLES, User, open_record_store
from layers.store import Store, open_store

ROWS, COLS = 4, 6
CELL_DEG = 0.005
X0, Y0 = 116.38, 39.90
#: each station sits in the middle of one quarter of the grid (row, column of its cell)
STATION_CELLS = {"S1": (0, 1), "S2": (0, 4), "S3": (3, 1), "S4": (3, 4)}
WORKLOAD = 10  # per community; 24 × 10 = 240 = 4 stations × 60


def _code(r: int, c: int) -> str:
    return f"110101001{r * COLS + c + 1:03d}"


def _communities() -> gpd.GeoDataFrame:
    cells = [(r, c) for r in range(ROWS) for c in range(COLS)]
    n = len(cells)
    boxes = [
        shapely.box(
            X0 + c * CELL_DEG, Y0 + r * CELL_DEG, X0 + (c + 1) * CELL_DEG, Y0 + (r + 1) * CELL_DEG
        )
        for r, c in cells
    ]
    return gpd.GeoDataFrame(
        {
            "code": [_code(r, c) for r, c in cells],
            "name": [f"社区{i + 1}" for i in range(n)],
            "street_code": ["110101001"] * n,
            "population": [3000] * n,
            "elderly_60_plus": [800] * n,
            "elderly_80_plus": [100] * n,
            "basic_recipients": [WORKLOAD] * n,
            "households": [1000] * n,
            "area_m2": [None] * n,
        },
        geometry=boxes,
        crs="EPSG:4326",
    )


def _stations() -> gpd.GeoDataFrame:
    pts = [
        shapely.Point(X0 + (c + 0.5) * CELL_DEG, Y0 + (r + 0.5) * CELL_DEG)
        for r, c in STATION_CELLS.values()
    ]
    k = len(pts)
    return gpd.GeoDataFrame(
        {
            "station_id": list(STATION_CELLS),
            "name": [f"驿站{i + 1}" for i in range(k)],
            "capacity_persons": [60] * k,
            "status": ["运营"] * k,
        },
        geometry=pts,
        crs="EPSG:4326",
    )


def fill_grid(store: Store) -> dict[str, str]:
    """Write the grid's layers and a user of every role into ``store``; returns the
    ``Authorization`` header of each user, by role."""
    store.import_frame(_communities(), name="communities", kind="communities")
    store.import_frame(_stations(), name="stations", kind="stations")
    records = open_record_store(store)
    headers: dict[str, str] = {}
    for role in ROLES:
        records.add_user(User(role, role, role.title(), "not-a-password-hash"), actor="test")
        token, _ = issue_token(records, role, actor="test")
        headers[role] = f"Bearer {token}"
    records.close()
    return headers


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """The grid store's path and each role's ``Authorization`` header."""
    path = tmp_path_factory.mktemp("zones") / "grid.gpkg"
    store = open_store(path)
    headers = fill_grid(store)
    store.close()
    return str(path), headers


@pytest.fixture(scope="module")
def zclient(grid: tuple[str, dict[str, str]]) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store=grid[0]))) as client:
        client.headers["Authorization"] = grid[1]["planner"]  # edits need a planner
        yield client


def _solve(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/analyses/zones", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == '"1"'
    return dict(response.json())


def _assignment(client: TestClient, plan_id: str) -> dict[str, str]:
    rows = client.get(f"/analyses/zones/{plan_id}").json()["assignment"]
    return {r["unit_id"]: r["station_id"] for r in rows}


def test_solve_assigns_every_community_once(zclient: TestClient) -> None:
    out = _solve(zclient)
    assert out["version"] == 1 and out["report"]["ok"]
    assert {w["station_id"]: w["workload"] for w in out["workload"]} == dict.fromkeys(
        STATION_CELLS, 60.0
    )
    info = out["info"]
    assert info["cost"] >= info["bound"] - 1e-6 and info["lp_bound"] <= info["cost"] + 1e-6
    table = zclient.get(f"/analyses/zones/{out['plan_id']}").json()["assignment"]
    units = [r["unit_id"] for r in table]
    assert sorted(units) == sorted(_communities()["code"]) and len(set(units)) == len(units)
    # every station keeps its own cell
    assert all(
        r["station_id"] == s
        for s, (row, col) in STATION_CELLS.items()
        for r in table
        if r["unit_id"] == _code(row, col)
    )


def test_zone_polygons_as_geojson(zclient: TestClient) -> None:
    plan_id = _solve(zclient)["plan_id"]
    response = zclient.get(f"/analyses/zones/{plan_id}", params={"format": "geojson"})
    assert response.status_code == 200
    features = response.json()["features"]
    assert sorted(f["properties"]["station_id"] for f in features) == sorted(STATION_CELLS)
    area = sum(shapely.geometry.shape(f["geometry"]).area for f in features)
    assert area == pytest.approx(ROWS * COLS * CELL_DEG**2, rel=1e-3)


def _border_unit(assignment: dict[str, str], station: str) -> tuple[str, str]:
    """A unit of ``station`` (not its own cell) next to another zone, and that zone."""
    home = _code(*STATION_CELLS[station])
    for r in range(ROWS):
        for c in range(COLS):
            u = _code(r, c)
            if assignment[u] != station or u == home:
                continue
            for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                if 0 <= r + dr < ROWS and 0 <= c + dc < COLS:
                    other = assignment[_code(r + dr, c + dc)]
                    if other != station:
                        return u, other
    raise AssertionError("no border unit")


def test_edit_moves_locally_and_bumps_the_version(zclient: TestClient) -> None:
    out = _solve(zclient)
    plan_id, before = out["plan_id"], _assignment(zclient, out["plan_id"])
    unit, target = _border_unit(before, "S1")
    response = zclient.post(
        f"/analyses/zones/{plan_id}/edits",
        json={"moves": [{"unit": unit, "station": target}]},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 2 and response.headers["ETag"] == '"2"'
    after = _assignment(zclient, plan_id)
    assert after[unit] == target
    changed = {u for u in before if before[u] != after[u]}
    assert changed == set(body["changed"]) and unit in changed
    # only the touched zones and their neighbours change; here every station's own cell stays
    assert all(after[_code(r, c)] == s for s, (r, c) in STATION_CELLS.items())
    assert body["report"]["ok"], body["report"]


def test_stale_or_missing_if_match(zclient: TestClient) -> None:
    plan_id = _solve(zclient)["plan_id"]
    url = f"/analyses/zones/{plan_id}/edits"
    ok = zclient.post(url, json={"locks": [_code(1, 1)]}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    before = _assignment(zclient, plan_id)
    move = {"moves": [{"unit": _code(1, 2), "station": "S4"}]}
    stale = zclient.post(url, json=move, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and " / " in stale.json()["detail"]
    missing = zclient.post(url, json=move)
    assert missing.status_code == 428
    assert _assignment(zclient, plan_id) == before
    report = zclient.get(f"/analyses/zones/{plan_id}/report")
    assert report.headers["ETag"] == '"2"' and report.json()["version"] == 2


def test_unknown_plan_unit_and_column(zclient: TestClient) -> None:
    assert zclient.get("/analyses/zones/nope").status_code == 404
    plan_id = _solve(zclient)["plan_id"]
    bad_unit = zclient.post(
        f"/analyses/zones/{plan_id}/edits",
        json={"moves": [{"unit": "999", "station": "S1"}]},
        headers={"If-Match": "1"},
    )
    assert bad_unit.status_code == 422 and bad_unit.json()["problems"][0]["field"] == "moves.0.unit"
    bad_col = zclient.post("/analyses/zones", json={"workload_col": "nope"})
    assert bad_col.status_code == 422
    assert bad_col.json()["problems"][0]["field"] == "workload_col"
    bad_layer = zclient.post("/analyses/zones", json={"units_layer": "nope"})
    assert bad_layer.status_code == 422


def test_infeasible_band_names_the_stations(zclient: TestClient) -> None:
    # 24 × 3000 people against 4 × 60 places: no station can be within 1 % of capacity
    body = {"band": 0.01, "workload_col": "population"}
    response = zclient.post("/analyses/zones", json=body)
    assert response.status_code == 422
    assert "S1" in response.json()["detail"] and " / " in response.json()["detail"]
    best = zclient.post("/analyses/zones", json={**body, "best_effort": True})
    assert best.status_code == 200 and set(best.json()["report"]["overloaded"]) == set(
        STATION_CELLS
    )


def test_validate_hand_drawn_plan(zclient: TestClient) -> None:
    # S1 takes the whole first row plus a far corner cell: overloaded and in two pieces
    rows = [
        {"unit": _code(r, c), "station": "S1" if r == 0 else "S3"}
        for r, c in [(r, c) for r in range(ROWS) for c in range(COLS)]
    ]
    rows[-1]["station"] = "S1"
    response = zclient.post("/analyses/zones/validate", json={"assignment": rows})
    assert response.status_code == 200, response.text
    report = response.json()
    assert not report["ok"]
    assert "S1" in report["fragmented"] and "S3" in report["overloaded"]
    assert {"S2", "S4"} <= set(report["underloaded"])
