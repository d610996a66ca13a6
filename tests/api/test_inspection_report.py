"""The campaign report (联检报告): printable HTML, XLSX tables and a GeoPackage, each read
back with an independent reader, each export in the audit log with its SHA-256."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
from fastapi.testclient import TestClient

from tests.api.test_inspection_kit import Kit, build_kit, make_app, marker_body, segment_body

R = "/inspections/campaigns/2025-0001/report"
PROBE = '=HYPERLINK("http://evil.example","见附件")'


@pytest.fixture(scope="module")
def world(new_location: Callable[[str], str]) -> Iterator[tuple[TestClient, Kit]]:
    """Line 0001 with: two intact markers, one damaged, one lost (no position), one displaced
    by 5 m, one sent back with issues, one rejected; a segment needing re-survey (on each
    backend in turn)."""
    kit = build_kit(new_location("report"))
    left, right = kit.auth("insp_left"), kit.auth("insp_right")
    damaged = marker_body(
        "0001003B",
        condition="损坏",
        damage_detail="桩顶破损",
        actions=["拍照记录", "登记待修复"],
        notes=PROBE,
    )
    lost_later = marker_body(
        "0001001Q", condition="丢失", position=None, inspected_at="2025-04-09T09:00:00+08:00"
    )
    resurvey = segment_body("0001005C", "0001007Q", status="needs_resurvey", description="河道改道")
    with kit, TestClient(make_app(kit.location)) as client:

        def review(answer: Any, state: str) -> None:
            headers = {**kit.auth("planner"), "If-Match": answer.headers["etag"]}
            rid = answer.json()["record_id"]
            client.post(f"/inspections/{rid}/review", json={"state": state}, headers=headers)

        post = client.post
        post("/inspections", json=marker_body("0001001Q"), headers=left)
        cleared = marker_body("0001002A", actions=["拍照记录", "清理遮挡物"])
        post("/inspections", json=cleared, headers=left)
        post("/inspections", json=damaged, headers=right)
        post(
            "/inspections",
            json=marker_body("0001004A", condition="丢失", position=None),
            headers=left,
        )
        post("/inspections", json=marker_body("0001005C", offset_m=(3.0, 4.0)), headers=left)
        review(post("/inspections", json=marker_body("0001006A"), headers=left), "has_issues")
        review(post("/inspections", json=lost_later, headers=left), "rejected")
        post("/inspections/segments", json=resurvey, headers=right)
        yield client, kit


def _audited(kit: Kit, fmt: str) -> str:
    entries = [e for e in kit.records.audit_log() if e.action == "report.export"]
    last = [e for e in entries if e.detail["format"] == fmt][-1]
    assert last.actor == "viewer" and last.target == "campaign:2025-0001"
    return str(last.detail["sha256"])


def test_html_report(world: tuple[TestClient, Kit]) -> None:
    client, kit = world
    answer = client.get(f"{R}.html", headers=kit.auth("viewer"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    page = answer.text
    for heading in (
        "联检报告",
        "Joint inspection report",
        "界桩状况",
        "Markers by latest condition",
        "处理措施",
        "Actions taken",
        "待解决问题",
        "Open problems",
        "签字",
        "Signatures",
    ):
        assert heading in page
    counts = dict(re.findall(r"<td>(\S+) [a-z ]+</td><td class=\"n\">(\d+)</td>", page))
    # latest per marker: 0001001Q intact (its later 丢失 record was rejected), 6 inspected
    assert counts == {
        "完好": "4",
        "损坏": "1",
        "丢失": "1",
        "移位": "0",
        "遮挡掩埋": "0",
        "未到达": "0",
        "未检查": "1",
    }
    problems = page[page.index("Open problems") : page.index("Course of the line")]
    for expected in (
        "0001003B",
        "桩顶破损",
        "0001004A",
        "疑似移位 suspected displaced",
        "5.00 m",
        "0001005C–0001007Q",
        "需重新勘测",
        "河道改道",
        "待修正 has issues",
        "0001007Q</td><td>未检查",
    ):
        assert expected in problems
    assert "0001001Q</td><td>丢失" not in problems
    signatures = page[page.index("Signatures") :]
    assert (
        "王建国" in signatures and "刘洋" in signatures and signatures.count("签字 Signature") == 2
    )
    assert not re.search(r"(src|href)=\"https?://", page)  # prints offline
    assert "估算" not in page  # nothing estimated here
    assert _audited(kit, "html") == hashlib.sha256(answer.content).hexdigest()


def test_xlsx_report(world: tuple[TestClient, Kit]) -> None:
    client, kit = world
    answer = client.get(f"{R}.xlsx", headers=kit.auth("viewer"))
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == [
        "概况 summary",
        "界桩状况 conditions",
        "检查记录 records",
        "走向检查 segments",
        "处理措施 actions",
        "待解决问题 problems",
    ]
    records = list(book["检查记录 records"].values)
    assert len(records) == 1 + 7  # header + every record, rejected ones included
    conditions = list(book["界桩状况 conditions"].values)[1:]
    assert sum(row[2] for row in conditions) == 7
    actions = {row[0]: row[1] for row in list(book["处理措施 actions"].values)[1:]}
    assert actions == {"拍照记录": 6, "清理遮挡物": 1, "登记待修复": 1}  # latest per marker
    cells = [c for ws in book for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # a note stays text
    assert PROBE in {c.value for c in cells}
    assert book["检查记录 records"].freeze_panes == "A2"
    assert _audited(kit, "xlsx") == hashlib.sha256(answer.content).hexdigest()


def test_gpkg_report(world: tuple[TestClient, Kit], tmp_path: Path) -> None:
    client, kit = world
    answer = client.get(f"{R}.gpkg", headers=kit.auth("viewer"))
    path = tmp_path / "report.gpkg"
    path.write_bytes(answer.content)
    names = set(pyogrio.list_layers(path)[:, 0])
    assert {"inspections", "markers", "boundary_lines", "segment_checks"} <= names
    inspections = gpd.read_file(path, layer="inspections")
    assert len(inspections) == 7 and inspections.crs.to_epsg() == 4326
    assert inspections.geometry.isna().sum() == 2  # the two lost-marker records
    moved = inspections[inspections["marker_no"] == "0001005C"].iloc[0]
    assert moved["displacement_m"] == pytest.approx(5.0, abs=0.01) and bool(
        moved["suspected_displaced"]
    )
    markers = gpd.read_file(path, layer="markers")
    assert len(markers) == 7 and (markers["condition"] == "损坏").sum() == 1
    segments = gpd.read_file(path, layer="segment_checks")
    assert segments.to_crs(4548).length.iloc[0] == pytest.approx(1000.0, abs=0.5)
    assert _audited(kit, "gpkg") == hashlib.sha256(answer.content).hexdigest()


def test_unknown_campaign_is_404(world: tuple[TestClient, Kit]) -> None:
    client, kit = world
    answer = client.get("/inspections/campaigns/1999-0001/report.html", headers=kit.auth("viewer"))
    assert answer.status_code == 404
