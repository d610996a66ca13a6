"""``mzgis zones plans|show|export`` (:mod:`api.zones.cli_plans`) on the grid store of
tests/api/test_zones_api.py: a plan saved as ``mzgis zones solve --save`` would save it is
listed, shown and exported; an unknown id or version exits 1 with a bilingual message."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest
import typer
from typer.testing import CliRunner

from api.catalog import Catalog
from api.zones.cli_plans import register, save_plan
from api.zones.schemas import ZoneRequest
from api.zones.service import solve_zones
from layers.records import open_record_store
from layers.store import open_store
from tests.api.test_zones_api import COLS, ROWS, STATION_CELLS, fill_grid

runner = CliRunner()


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The grid store and the id of a plan saved in it from the command line."""
    path = tmp_path_factory.mktemp("zone_plans_cli") / "grid.gpkg"
    store = open_store(path)
    fill_grid(store)
    request = ZoneRequest()
    plan, notes = solve_zones(Catalog.build(store), request)
    plan_id = save_plan(store, plan, request, notes)
    store.close()
    return path, plan_id


def _run(*args: str) -> tuple[int, str]:
    zones = typer.Typer()
    register(zones)
    result = runner.invoke(zones, list(args))
    return result.exit_code, result.output


def test_save_records_the_command_line_user(saved: tuple[Path, str]) -> None:
    path, plan_id = saved
    records = open_record_store(path)
    plan = records.get_plan(plan_id)
    assert plan.version == 1 and plan.created_by.startswith("cli:")
    assert len(plan.assignment) == ROWS * COLS and plan.summary["ok"]
    assert records.audit_log()[-1].action == "zone_plan.create"
    records.close()


def test_plans_lists_the_saved_plan(saved: tuple[Path, str]) -> None:
    path, plan_id = saved
    code, out = _run("plans", "--store", str(path))
    assert code == 0, out
    assert f"{plan_id}  v1  cli:" in out
    assert f"units / 单元 {ROWS * COLS}" in out and "OK / 无问题" in out


def test_show_prints_workload_and_report(saved: tuple[Path, str]) -> None:
    path, plan_id = saved
    code, out = _run("show", plan_id, "--store", str(path))
    assert code == 0, out
    assert f"{plan_id} v1" in out and "plan OK / 方案无问题" in out
    assert all(s in out for s in STATION_CELLS)


@pytest.mark.parametrize("extra", [["nope"], ["{plan_id}", "--version", "2"]])
def test_unknown_plan_or_version_exits_1(saved: tuple[Path, str], extra: list[str]) -> None:
    path, plan_id = saved
    args = [a.format(plan_id=plan_id) for a in extra]
    code, out = _run("show", *args, "--store", str(path))
    assert code == 1 and "no such saved plan" in out and "没有该方案" in out


def test_export_writes_zones_and_assignment(saved: tuple[Path, str], tmp_path: Path) -> None:
    path, plan_id = saved
    out_file = tmp_path / "plan.gpkg"
    code, out = _run("export", plan_id, str(out_file), "--store", str(path))
    assert code == 0, out
    zones = pyogrio.read_dataframe(out_file, layer="zones")
    assignment = pyogrio.read_dataframe(out_file, layer="assignment")
    assert sorted(zones["station_id"]) == sorted(STATION_CELLS)
    assert len(assignment) == ROWS * COLS and assignment["station_id"].notna().all()
