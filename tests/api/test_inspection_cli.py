"""``mzgis inspection``: campaigns, members, batch submission, progress, reports and audit (on
a GeoPackage and on PostGIS), and the demo's estimated records (in the demo GeoPackage)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from api.cli import app as cli
from layers.records import RecordFilter, open_record_store
from tests.api.test_inspection_kit import build_kit, marker_body

runner = CliRunner()


def mzgis(*args: str) -> tuple[int, str]:
    done = runner.invoke(cli, list(args))
    return done.exit_code, done.output


def test_campaign_members_submit_progress_report_audit(
    new_location: Callable[[str], str], tmp_path: Path
) -> None:
    store = new_location("cli")
    build_kit(store).close()

    def run(command: str, *args: str) -> tuple[int, str]:
        return mzgis("inspection", *command.split(), *args, "--store", store)

    code, out = run("campaign-add 2030-0002 --line 0002 --round 2 --year 2030")
    assert code == 0, out
    assert run("campaign-add 2030-0009 --line 0099 --round 1 --year 2030")[0] == 1
    assert run("member-add 2030-0002 insp_left --side left")[0] == 0
    batch = tmp_path / "field.json"
    bodies = [
        marker_body("0001001Q"),
        marker_body("0001002A", condition="损坏", damage_detail="裂缝"),
    ]
    batch.write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")
    code, out = run("submit", str(batch), "--as", "insp_left")
    assert code == 0 and "2 new" in out, out
    code, out = run("submit", str(batch), "--as", "insp_left")
    assert "0 new, 2 already stored" in out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(marker_body("0001099A")), encoding="utf-8")
    code, out = run("submit", str(bad), "--as", "insp_left")
    assert code == 1 and "0001099A" in out
    code, out = run("progress 2025-0001")
    assert code == 0 and "2/7 markers inspected" in out and "损坏 1" in out, out
    xlsx = tmp_path / "report.xlsx"
    assert run("report 2025-0001", str(xlsx))[0] == 0
    assert len(list(openpyxl.load_workbook(xlsx)["检查记录 records"].values)) == 3
    assert run("report 2025-0001", str(tmp_path / "r.pdf"))[0] != 0
    code, out = run("audit")
    assert code == 0 and "intact" in out and "report.export" in out


def test_seed_demo_records(demo_store: Path, tmp_path: Path) -> None:
    store = tmp_path / "demo.gpkg"
    shutil.copyfile(demo_store, store)
    code, out = mzgis("inspection", "seed-demo", "--store", str(store))
    assert code == 0 and "30 demo records added" in out, out
    assert "0 demo records added" in mzgis("inspection", "seed-demo", "--store", str(store))[1]
    records = open_record_store(store)
    campaign = records.get_campaign("2025-0001")
    seeded, total = records.list_records("marker", RecordFilter(campaign_id="2025-0001"))
    assert campaign.estimated and total == 30 and all(r.estimated for r in seeded)
    assert {r.review_state for r in seeded} <= {"received", "approved", "has_issues"}
    page = tmp_path / "report.html"
    assert mzgis("inspection", "report", "2025-0001", str(page), "--store", str(store))[0] == 0
    assert "Contains estimated demo data" in page.read_text(encoding="utf-8")
