"""``mzgis layers import|history|restore|export`` as a planner uses them: modes, --map,
--dry-run, --yes, history and restore, and a mistyped --store that leaves no file."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from layers.store import open_store

runner = CliRunner()


def sheet(path: Path, ids: list[str]) -> Path:
    pd.DataFrame(
        {
            "驿站编号": ids,
            "驿站名称": [f"{i}驿站" for i in ids],
            "签约人数": [40] * len(ids),
            "状态": ["运营"] * len(ids),
            "经度": [116.39 + k * 0.001 for k in range(len(ids))],
            "纬度": [39.91] * len(ids),
        }
    ).to_excel(path, index=False)
    return path


def mzgis(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_a_mistyped_store_is_exit_2_and_leaves_no_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gpkg"
    xlsx = sheet(tmp_path / "s.xlsx", ["N1"])
    for args in (
        ("layers", "list"),
        ("layers", "import", str(xlsx), "--kind", "stations"),
        ("layers", "history", "stations"),
        ("coverage", "--facilities", "stations"),
    ):
        code, output = mzgis(*args, "--store", str(missing))
        assert code == 2, (args, output)
        assert "no store at" in output and "不存在" in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.xlsx"]
    code, output = mzgis(
        "layers", "import", str(xlsx), "--kind", "stations", "--create", "--store", str(missing)
    )
    assert code == 0, output
    assert str(missing) in output  # a command that writes says where


def test_import_modes_history_and_restore(store_copy: Path, tmp_path: Path) -> None:
    store = ("--store", str(store_copy))
    xlsx = sheet(tmp_path / "new.xlsx", ["N1", "N2"])
    code, output = mzgis("layers", "import", str(xlsx), "--kind", "stations", *store)
    assert code == 1 and "--mode append" in output and "replace" in output

    code, output = mzgis(
        "layers", "import", str(xlsx), "--kind", "stations", "--mode", "replace", "--dry-run",
        *store,
    )  # fmt: skip
    assert code == 0, output
    assert "驿站名称 → name (alias)" in output and "签约人数 → capacity_persons" in output
    assert "dropped / 删除: 5" in output and "nothing written" in output
    assert "N1驿站" in output  # the first rows

    code, output = mzgis(
        "layers", "import", str(xlsx), "--kind", "stations", "--mode", "replace", *store
    )
    assert code == 1 and "--yes" in output and "S1" in output
    code, output = mzgis(
        "layers", "import", str(xlsx), "--kind", "stations", "--mode", "replace", "--yes", *store
    )
    assert code == 0, output
    assert f"of {store_copy}" in output and "version 2 with 2 features" in output

    code, output = mzgis("layers", "history", "stations", *store)
    assert code == 0 and "import new.xlsx (replace)" in output and "current" in output
    code, output = mzgis("layers", "restore", "stations", "1", *store)
    assert code == 0 and "now version 3 with 5 features" in output
    opened = open_store(store_copy)
    try:
        assert opened.read("stations")["station_id"].tolist() == ["S1", "S2", "S3", "S4", "S5"]
    finally:
        opened.close()


def test_import_with_map_and_append(store_copy: Path, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    pd.DataFrame(
        {"站号": ["N9"], "名称": ["新"], "可服务人数": [30], "状态": ["运营"]}
        | {"lon": [116.4], "lat": [39.9]}
    ).to_csv(path, index=False)
    args = ["layers", "import", str(path), "--kind", "stations", "--mode", "append"]
    code, output = mzgis(*args, "--store", str(store_copy))
    assert code == 1 and "required column is missing" in output
    maps = ["--map", "站号=station_id", "--map", "可服务人数=capacity_persons"]
    code, output = mzgis(*args, *maps, "--store", str(store_copy))
    assert code == 0, output
    assert "added / 新增: 1" in output
    code, output = mzgis(*args, "--map", "站号", "--store", str(store_copy))
    assert code == 1 and "--map" in output


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_export_for_amap_and_in_english(small_store: Path, tmp_path: Path, lang: str) -> None:
    out = tmp_path / "s.xlsx"
    code, output = mzgis(
        "layers", "export", "stations", str(out), "--crs", "gcj02", "--lang", lang,
        "--store", str(small_store),
    )  # fmt: skip
    assert code == 0, output
    book = openpyxl.load_workbook(out)
    headers = [c.value for c in book.worksheets[1][1]]
    assert headers[-1] == ("纬度（GCJ-02）" if lang == "zh" else "lat (GCJ-02)")


def test_retention_setting_from_the_environment(store_copy: Path, tmp_path: Path) -> None:
    xlsx = sheet(tmp_path / "s.xlsx", ["N1"])
    args = ["layers", "import", str(xlsx), "--kind", "stations", "--mode", "upsert"]
    for _ in range(3):
        result = runner.invoke(
            app,
            [*args, "--store", str(store_copy)],
            env={"COLUMNS": "200", "MZGIS_LAYER_VERSIONS_KEPT": "1"},
        )
        assert result.exit_code == 0, result.output
    opened = open_store(store_copy)
    try:
        kept = [(v.version, v.kept) for v in opened.history("stations")]
    finally:
        opened.close()
    assert kept == [(1, False), (2, False), (3, True), (4, False)]
