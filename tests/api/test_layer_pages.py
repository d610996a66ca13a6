"""The layers pages: the index and a layer's page (HTML), the rows behind the table (search,
sort, pages, the page's features), and importing a file from the browser: preview, column
mapping for Chinese headers, GCJ-02 coordinates, a bad row reported with its Excel row and
nothing imported, and a replace that must be confirmed with the number of features lost; on
both store backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.zones.export import write_rows
from layers.coords import wgs84_to_gcj02
from layers.store import open_store
from tests.api.test_inspection_kit import Kit, build_kit, make_app

HTML = {"Accept": "text/html"}
#: a Chinese spreadsheet of stations, points copied from AMap (GCJ-02)
WGS84_POINTS = [(116.3901, 39.9101), (116.3952, 39.9133), (116.4003, 39.9166)]


@pytest.fixture(scope="module")
def kit(new_location: Callable[[str], str]) -> Iterator[Kit]:
    """The module's world, on a GeoPackage and on PostGIS in turn."""
    with build_kit(new_location("pages")) as kit:
        yield kit


@pytest.fixture(scope="module")
def client(kit: Kit) -> Iterator[TestClient]:
    with TestClient(make_app(kit.location)) as test_client:
        yield test_client


def sheet(
    path: Path, *, bad_capacity: object = 40, ids: tuple[str, ...] = ("N1", "N2", "N3")
) -> Path:
    lon, lat = wgs84_to_gcj02(*zip(*WGS84_POINTS, strict=True))
    table = pd.DataFrame(
        {
            "驿站编号": list(ids),
            "名称": ["新驿站一", '=HYPERLINK("x")', "新驿站三"],
            "服务能力": [30, bad_capacity, 50],
            "运营状态": ["运营", "运营", "筹建"],
            "经度": lon.round(8),
            "纬度": lat.round(8),
        }
    )
    book = openpyxl.Workbook()
    assert book.active is not None
    write_rows(book.active, list(table.columns), table.itertuples(index=False))  # "=…" as text
    book.save(path)
    return path


MAPPING = {
    "驿站编号": "station_id",
    "名称": "name",
    "服务能力": "capacity_persons",
    "运营状态": "status",
}


def test_layers_index_and_a_layer_page(client: TestClient) -> None:
    index = client.get("/layers", headers=HTML)
    assert index.status_code == 200 and 'href="/layers/markers"' in index.text
    page = client.get("/layers/markers", headers=HTML)
    assert page.status_code == 200 and "/static/web/layer.js" in page.text
    assert client.get("/layers/nope", headers=HTML).status_code == 404


def test_rows_search_sort_and_pages(client: TestClient, kit: Kit) -> None:
    store = open_store(kit.location)
    markers = store.read("markers")
    store.close()
    first = client.get("/layers/markers/rows", params={"limit": 5}).json()
    assert first["total"] == len(markers) == first["matched"] and len(first["rows"]) == 5
    assert len(first["features"]["features"]) == 5
    assert {c["name"] for c in first["columns"]} >= {"marker_no", "line_code"}
    desc = client.get("/layers/markers/rows", params={"sort": "marker_no", "desc": True}).json()
    numbers = [r["marker_no"] for r in desc["rows"]]
    assert numbers == sorted(markers["marker_no"], reverse=True)[: len(numbers)]
    wanted = markers["marker_no"].iloc[3]
    found = client.get("/layers/markers/rows", params={"q": wanted}).json()
    assert found["matched"] == 1 and found["rows"][0]["marker_no"] == wanted
    page2 = client.get(
        "/layers/markers/rows", params={"offset": 5, "limit": 5, "sort": "marker_no"}
    )
    assert page2.json()["rows"][0]["marker_no"] == sorted(markers["marker_no"])[5]
    assert client.get("/layers/markers/rows", params={"limit": 0}).status_code == 400


def test_import_needs_a_planner(client: TestClient, kit: Kit, tmp_path: Path) -> None:
    path = sheet(tmp_path / "s.xlsx")
    files = {"file": (path.name, path.read_bytes())}
    assert client.post("/layers/uploads", files=files).status_code == 401
    viewer = client.post("/layers/uploads", files=files, headers=kit.auth("viewer"))
    assert viewer.status_code == 403
    page = client.get("/layers/import", headers=HTML, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/signin")


def _upload(client: TestClient, kit: Kit, path: Path) -> dict:
    answer = client.post(
        "/layers/uploads",
        files={"file": (path.name, path.read_bytes())},
        headers=kit.auth("planner"),
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _import(client: TestClient, kit: Kit, upload_id: str, **body: object):  # type: ignore[no-untyped-def]
    return client.post(
        f"/layers/uploads/{upload_id}/import", json=body, headers=kit.auth("planner")
    )


def test_bad_row_is_named_by_its_excel_row_and_nothing_is_imported(
    client: TestClient, kit: Kit, tmp_path: Path
) -> None:
    before = kit.snapshot()
    bad = _upload(client, kit, sheet(tmp_path / "bad.xlsx", bad_capacity="四十"))
    assert bad["columns"][:2] == ["驿站编号", "名称"] and bad["total"] == 3
    assert bad["rows"][0]["名称"] == "新驿站一"
    answer = _import(
        client, kit, bad["upload_id"], name="new_stations", kind="stations", crs="gcj02",
        mapping=MAPPING,
    )  # fmt: skip
    assert answer.status_code == 422, answer.text
    problems = answer.json()["problems"]
    assert [(p["excel_row"], p["field"]) for p in problems] == [(3, "capacity_persons")]
    assert problems[0]["value"] == "四十"
    assert kit.snapshot() == before
    good = _upload(client, kit, sheet(tmp_path / "good.xlsx"))
    done = _import(
        client, kit, good["upload_id"], name="new_stations", kind="stations", crs="gcj02",
        mapping=MAPPING,
    )  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["rows"] == 3
    store = open_store(kit.location)
    stored = store.read("new_stations").sort_values("station_id")
    store.close()
    assert stored["name"].tolist()[1] == '=HYPERLINK("x")'  # kept as text
    x, y = stored.geometry.x.to_numpy(), stored.geometry.y.to_numpy()
    expected = list(zip(*WGS84_POINTS, strict=True))
    assert abs(x - expected[0]).max() < 1e-6 and abs(y - expected[1]).max() < 1e-6
    again = _import(client, kit, good["upload_id"], name="x", kind="stations", mapping=MAPPING)
    assert again.status_code == 400  # the upload is gone after its import


def test_append_keeps_the_old_rows_and_replace_must_be_confirmed(
    client: TestClient, kit: Kit, tmp_path: Path
) -> None:
    body = {"kind": "stations", "crs": "gcj02", "mapping": MAPPING, "name": "grow_me"}
    first = _upload(client, kit, sheet(tmp_path / "one.xlsx"))
    assert _import(client, kit, first["upload_id"], **body).status_code == 200
    more = _upload(client, kit, sheet(tmp_path / "two.xlsx", ids=("N4", "N5", "N6")))
    taken = _import(client, kit, more["upload_id"], **body)  # mode "new": the name is taken
    assert taken.status_code == 409 and taken.json()["count"] == 3
    appended = _import(client, kit, more["upload_id"], **body, mode="append")
    assert appended.status_code == 200, appended.text
    assert appended.json()["plan"]["result"] == 6 and appended.json()["version"] == 2
    store = open_store(kit.location)
    assert sorted(store.read("grow_me")["station_id"]) == ["N1", "N2", "N3", "N4", "N5", "N6"]
    store.close()
    fewer = _upload(client, kit, sheet(tmp_path / "three.xlsx", ids=("N1", "N7", "N8")))
    before = kit.snapshot()
    asked = _import(client, kit, fewer["upload_id"], **body, mode="replace")
    assert asked.status_code == 409 and asked.json()["code"] == "confirm_replace"
    assert sorted(asked.json()["plan"]["dropped"]) == ["N2", "N3", "N4", "N5", "N6"]
    assert "5" in asked.json()["detail"] and "grow_me" in asked.json()["detail"]
    assert kit.snapshot() == before  # nothing replaced yet
    done = _import(client, kit, fewer["upload_id"], **body, mode="replace", confirm_replace=True)
    assert done.status_code == 200, done.text
    store = open_store(kit.location)
    assert sorted(store.read("grow_me")["station_id"]) == ["N1", "N7", "N8"]
    store.close()


def test_upload_of_an_unknown_type_is_refused(client: TestClient, kit: Kit) -> None:
    answer = client.post(
        "/layers/uploads", files={"file": ("x.exe", b"MZ")}, headers=kit.auth("planner")
    )
    assert answer.status_code == 400 and ".xlsx" in answer.json()["detail"]


def test_record_layers_need_a_reader_here_too(client: TestClient, kit: Kit) -> None:
    from tests.api.conftest import LAYERS

    store = open_store(kit.location)
    store.import_frame(LAYERS["inspections"](), name="inspections", kind="inspections")
    store.close()
    assert client.get("/layers/inspections/rows").status_code == 401
    page = client.get("/layers/inspections", headers=HTML, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/signin")
    rows = client.get("/layers/inspections/rows", headers=kit.auth("viewer"))
    assert rows.status_code == 200
    inspector = client.get("/layers/inspections/rows", headers=kit.auth("insp_left"))
    assert inspector.status_code == 403
