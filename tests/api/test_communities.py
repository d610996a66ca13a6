"""``POST /analyses/communities`` and ``mzgis communities resize`` on a small town: one
street of three communities (4,000 / 600 / 1,500 households) crossed by roads every ~100 m,
and two stations inside the large one."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
import shapely
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from api.config import Settings
from layers.records import open_record_store
from layers.store import open_store

X0, Y0 = 116.38, 39.90
DX, DY = 0.0047, 0.0027  # about 400 m × 300 m
BIG, SMALL, MID = "110101001001", "110101001002", "110101001003"
FORMULA_NAME = "=HYPERLINK(1)<script>alert(1)</script>社区"
runner = CliRunner()


def _town() -> dict[str, gpd.GeoDataFrame]:
    boxes = [shapely.box(X0 + i * DX, Y0, X0 + (i + 1) * DX, Y0 + DY) for i in range(3)]
    communities = gpd.GeoDataFrame(
        {
            "code": [BIG, SMALL, MID],
            "name": [FORMULA_NAME, "乙社区", "丙社区"],
            "street_code": ["110101001"] * 3,
            "population": [9000, 1400, 3300],
            "elderly_60_plus": [2000, 300, 700],
            "elderly_80_plus": [200, 30, 70],
            "basic_recipients": [90, 14, 33],
            "households": [4000, 600, 1500],
        },
        geometry=boxes,
        crs="EPSG:4326",
    )
    xs = [X0 + DX * k / 4 for k in range(1, 12)]
    lines = [shapely.LineString([(x, Y0 - 0.0002), (x, Y0 + DY + 0.0002)]) for x in xs]
    lines.append(shapely.LineString([(X0 - 0.0002, Y0 + DY / 2), (X0 + 3 * DX, Y0 + DY / 2)]))
    roads = gpd.GeoDataFrame(
        {"edge_id": range(len(lines)), "highway": ["footway"] * len(lines)},
        geometry=lines,
        crs="EPSG:4326",
    )
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["S1", "S2"],
            "name": ["驿站一", "驿站二"],
            "capacity_persons": [40, 40],
            "status": ["运营", "运营"],
        },
        geometry=[
            shapely.Point(X0 + DX * 0.1, Y0 + DY * 0.2),
            shapely.Point(X0 + DX * 0.9, Y0 + DY * 0.8),
        ],
        crs="EPSG:4326",
    )
    return {"communities": communities, "roads": roads, "stations": stations}


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("communities") / "town.gpkg"
    store = open_store(path)
    for kind, frame in _town().items():
        store.import_frame(frame, name=kind, kind=kind)
    store.close()
    return path


@pytest.fixture(scope="module")
def client(town: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(store=str(town)))) as test_client:
        yield test_client


def test_post_proposes_a_split_in_band(client: TestClient) -> None:
    r = client.post("/analyses/communities", json={}, params={"geometry": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["summary"]["proposals"] == 1 and body["summary"]["proposed"] == 1
    (proposal,) = body["proposals"]
    assert proposal["community_code"] == BIG and proposal["code_provisional"] is True
    assert proposal["codes"] == ["110101001004", "110101001005"]
    assert body["validation"][0]["band_ok"] and body["validation"][0]["contiguous"]
    flags = {f["code"]: f["flag"] for f in body["flags"]}
    assert flags == {BIG: "resize", SMALL: "undersize"}
    stages = [row["stage"] for row in body["before_after"]]
    assert stages == ["before", "after", "after"]
    parts = body["parts"]["features"]
    assert len(parts) == 2
    assert all(1000 <= f["properties"]["households"] <= 3000 for f in parts)
    assert sum(f["properties"]["households"] for f in parts) == 4000
    assert {f["properties"]["part_code"] for f in body["blocks"]["features"]} == set(
        proposal["codes"]
    )


def test_post_options_anchors_and_merge(client: TestClient) -> None:
    r = client.post(
        "/analyses/communities", json={"anchors_layers": ["stations"], "merge_undersize": True}
    )
    assert r.status_code == 200, r.text
    (proposal,) = r.json()["proposals"]
    assert proposal["replaces"] == [BIG, SMALL]
    assert proposal["status"] == "proposed"
    assert r.json()["validation"][0]["anchors_ok"] is True
    r = client.post("/analyses/communities", json={"parts": {BIG: 5}})
    (proposal,) = r.json()["proposals"]
    assert proposal["status"] == "infeasible" and "cannot make 5 parts" in proposal["reasons"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"roads_layer": "nope"}, "roads_layer"),
        ({"codes": ["110101009999"]}, "codes"),
        ({"parts": {"110101009999": 2}}, "parts"),
        ({"band_lower_households": 3000, "band_upper_households": 1000}, None),
        ({"anchors_layers": ["nope"]}, "anchors_layers.0"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_requests_are_422_naming_the_field(
    client: TestClient, body: dict[str, object], field: str | None
) -> None:
    r = client.post("/analyses/communities", json=body)
    assert r.status_code == 422, r.text
    out = r.json()
    assert " / " in out["detail"]
    if field is not None:
        assert any(field in str(p.get("field", p.get("loc", ""))) for p in out["problems"])


def test_map_page_escapes_names(client: TestClient) -> None:
    r = client.get("/maps/communities", params={"lang": "en"})
    assert r.status_code == 200
    assert "Community size adjustment" in r.text and "proposed 1" in r.text
    assert "alert(1)" in r.text and "<script>alert" not in r.text  # there, escaped
    assert client.get("/maps/communities", params={"codes": " , "}).status_code == 400
    missing = client.get("/maps/communities", params={"codes": "110101009999"})
    assert missing.status_code == 422


def _resize(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["communities", "resize", *args])
    return result.exit_code, result.output


def test_cli_writes_layers_and_a_safe_workbook(town: Path, tmp_path: Path) -> None:
    code, output = _resize("--store", str(town), "--out", str(tmp_path / "p.gpkg"))
    assert code == 0, output
    assert f"{BIG} {FORMULA_NAME} [resize] 4000 → 2" in output and "proposed" in output
    assert {n for n, _ in pyogrio.list_layers(tmp_path / "p.gpkg")} == {"parts", "blocks"}
    parts = pyogrio.read_dataframe(tmp_path / "p.gpkg", layer="parts")
    assert parts["households"].sum() == 4000
    code, output = _resize("--store", str(town), "--out", str(tmp_path / "p.xlsx"))
    assert code == 0, output
    book = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert book.sheetnames[:2] == ["概况 summary", "调整前后 before_after"]
    cells = [c for row in book["调整前后 before_after"].iter_rows() for c in row]
    names = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert names and all(c.data_type == "s" and c.value.startswith("=") for c in names)


def test_cli_accept_asks_and_writes_the_layer(town: Path, tmp_path: Path) -> None:
    copy = tmp_path / "town.gpkg"
    shutil.copyfile(town, copy)
    result = runner.invoke(
        app, ["communities", "resize", "--store", str(copy), "--accept"], input="n\n"
    )
    assert result.exit_code == 1 and "replaces 1 communities" in result.output
    store = open_store(copy)
    try:
        assert set(store.read("communities")["code"]) == {BIG, SMALL, MID}
    finally:
        store.close()
    code, output = _resize("--store", str(copy), "--accept", "--yes", "--merge-undersize")
    assert code == 0, output
    store = open_store(copy)
    records = open_record_store(store)
    try:
        layer = store.read("communities")
        entry = records.audit_log()[-1]
    finally:
        records.close()
        store.close()
    assert set(layer["code"]) == {MID, "110101001004", "110101001005"}
    assert entry.action == "community_proposal.accept"
    assert entry.detail["dropped"] == [BIG, SMALL] and entry.actor.startswith("cli:")
    assert layer["households"].sum() == 6100


def test_an_accepted_proposal_can_be_undone(town: Path, tmp_path: Path) -> None:
    """Accepting writes a new version of the communities layer; restoring the version
    before it brings the old communities back, value for value."""
    copy = tmp_path / "town.gpkg"
    shutil.copyfile(town, copy)
    store = open_store(copy)
    try:
        before_version = store.info("communities").version
        before = store.read("communities")
    finally:
        store.close()
    code, output = _resize("--store", str(copy), "--accept", "--yes")
    assert code == 0, output
    result = runner.invoke(
        app, ["layers", "restore", "communities", str(before_version), "--store", str(copy)]
    )
    assert result.exit_code == 0, result.output
    store = open_store(copy)
    try:
        after = store.read("communities")
        assert store.info("communities").version == before_version + 2  # accept, then restore
    finally:
        store.close()
    assert after.drop(columns="geometry").equals(before.drop(columns="geometry"))
    assert after.geometry.geom_equals_exact(before.geometry, tolerance=0).all()


def test_cli_bad_parts_option(town: Path) -> None:
    code, output = _resize("--store", str(town), "--parts", f"{BIG}:3")
    assert code != 0 and "CODE=K" in output
