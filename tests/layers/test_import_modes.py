"""Imports as planners make them: Chinese headers, ``--map``, spreadsheet row numbers, and
append / upsert / replace into an existing layer on both backends (nothing lost)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from layers import (
    ConfirmationRequiredError,
    ImportModeError,
    LayerReadError,
    LayerValidationError,
)
from layers.io import import_file
from layers.io.headers import alias_table, map_headers
from layers.store import Store


def meal_sheet(path: Path, ids: list[str], *, meals: list[object] | None = None) -> Path:
    """A workbook as a street office sends it: Chinese headers, units in brackets."""
    n = len(ids)
    table = pd.DataFrame(
        {
            "助餐点编号": ids,
            "名称": [f"{i}助餐点" for i in ids],
            "日供餐能力(餐/日)": meals if meals is not None else [100 + k for k in range(n)],
            "运营单位": ["街道食堂"] * n,
            "状态": ["运营"] * n,
            "地址": [f"东城区某街{k}号" for k in range(n)],
            "经度": [116.40 + k * 0.001 for k in range(n)],
            "纬度": [39.91 + k * 0.001 for k in range(n)],
        }
    )
    table.to_excel(path, index=False)
    return path


def test_chinese_headers_are_recognised(store: Store, tmp_path: Path) -> None:
    report = import_file(
        store, meal_sheet(tmp_path / "m.xlsx", ["M1", "M2"]), name="meal_points", kind="meal_points"
    )
    assert report.mapping is not None
    assert report.mapping.renames == {
        "助餐点编号": "meal_point_id",
        "名称": "name",
        "日供餐能力(餐/日)": "meals_per_day",
        "运营单位": "operator",
        "状态": "status",
        "地址": "address",
    }
    frame = store.read("meal_points")
    assert frame["meal_point_id"].tolist() == ["M1", "M2"]
    assert frame["meals_per_day"].tolist() == [100, 101]
    assert frame["operator"].tolist() == ["街道食堂"] * 2
    assert frame["address"].tolist() == ["东城区某街0号", "东城区某街1号"]
    assert frame.geometry.x.tolist() == pytest.approx([116.40, 116.401])


def test_every_field_of_every_kind_has_its_chinese_label_as_a_header() -> None:
    from layers.schema import SCHEMAS

    for kind, schema in SCHEMAS.items():
        headers = [f.zh for f in schema.all_fields]
        mapping = map_headers(headers, kind)
        assert [mapping.field_of(h) for h in headers] == schema.field_names, kind
    rows = {field: headers for field, _, headers in alias_table("stations")}
    assert "床位" in rows["capacity_persons"] and "编号" in rows["station_id"]


def test_explicit_map_and_clashing_headers(tmp_path: Path) -> None:
    mapping = map_headers(["编号", "供餐数"], "meal_points", column_map={"供餐数": "meals_per_day"})
    assert mapping.renames == {"编号": "meal_point_id", "供餐数": "meals_per_day"}
    assert mapping.how == {"编号": "alias", "供餐数": "map"}
    with pytest.raises(LayerReadError, match=r"编号.*助餐点编号|助餐点编号.*编号"):
        map_headers(["编号", "助餐点编号"], "meal_points")
    with pytest.raises(LayerReadError, match="not fields of meal_points"):
        map_headers(["供餐数"], "meal_points", column_map={"供餐数": "meals"})
    with pytest.raises(LayerReadError, match="does not have"):
        map_headers(["编号"], "meal_points", column_map={"供餐数": "meals_per_day"})


def test_problems_name_the_excel_row_the_id_and_the_header(store: Store, tmp_path: Path) -> None:
    path = meal_sheet(tmp_path / "bad.xlsx", ["M1", "M2", "M3"], meals=[10, "很多", -5])
    with pytest.raises(LayerValidationError) as caught:
        import_file(store, path, name="meal_points", kind="meal_points")
    errors = {(p.line, p.record_id, p.field, p.column, p.value) for p in caught.value.errors}
    assert errors == {
        (3, "M2", "meals_per_day", "日供餐能力(餐/日)", "很多"),
        (4, "M3", "meals_per_day", "日供餐能力(餐/日)", -5),
    }
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    assert sheet.cell(row=3, column=3).value == "很多"  # the row Excel shows
    assert sheet.cell(row=4, column=1).value == "M3"
    text = str(caught.value)
    assert "row 3 (id 'M2') / 第 3 行" in text
    assert "不是有效的整数" in text and "须 ≥ 0" in text
    assert "meal_points" not in store


def test_an_existing_layer_needs_a_mode(store: Store, tmp_path: Path) -> None:
    first = meal_sheet(tmp_path / "a.xlsx", ["M1", "M2"])
    import_file(store, first, name="meal_points", kind="meal_points")
    with pytest.raises(ImportModeError, match=r"append.*upsert.*replace"):
        import_file(store, first, name="meal_points", kind="meal_points")
    with pytest.raises(ImportModeError, match="mode must be one of"):
        import_file(store, first, name="meal_points", kind="meal_points", mode="merge")
    assert store.info("meal_points").version == 1


def test_append_adds_and_refuses_stored_ids(store: Store, tmp_path: Path) -> None:
    import_file(
        store, meal_sheet(tmp_path / "a.xlsx", ["M1", "M2"]), name="meal_points", kind="meal_points"
    )
    report = import_file(
        store,
        meal_sheet(tmp_path / "b.xlsx", ["M3"]),
        name="meal_points",
        kind="meal_points",
        mode="append",
    )
    assert report.plan is not None and report.plan.added == ["M3"]
    assert store.read("meal_points")["meal_point_id"].tolist() == ["M1", "M2", "M3"]
    with pytest.raises(LayerValidationError) as caught:
        import_file(
            store,
            meal_sheet(tmp_path / "c.xlsx", ["M9", "M2"]),
            name="meal_points",
            kind="meal_points",
            mode="append",
        )
    ((row, ident),) = {(p.line, p.value) for p in caught.value.errors}
    assert (row, ident) == (3, "M2")
    assert "upsert" in str(caught.value)
    assert store.info("meal_points").count == 3


def test_upsert_updates_in_place_and_keeps_columns_the_file_lacks(
    store: Store, tmp_path: Path
) -> None:
    import_file(
        store,
        meal_sheet(tmp_path / "a.xlsx", ["M1", "M2", "M3"]),
        name="meal_points",
        kind="meal_points",
    )
    update = pd.DataFrame(
        {"编号": ["M2", "M4"], "名称": ["新名", "新点"], "日供餐能力": [500, 60]}
        | {"经度": [116.5, 116.6], "纬度": [39.95, 39.96]}
    )
    update.to_csv(tmp_path / "u.csv", index=False)
    report = import_file(
        store, tmp_path / "u.csv", name="meal_points", kind="meal_points", mode="upsert"
    )
    assert report.plan is not None
    assert (report.plan.added, report.plan.updated) == (["M4"], ["M2"])
    frame = store.read("meal_points")
    assert frame["meal_point_id"].tolist() == ["M1", "M2", "M3", "M4"]
    assert frame["name"].tolist() == ["M1助餐点", "新名", "M3助餐点", "新点"]
    assert frame["meals_per_day"].tolist() == [100, 500, 102, 60]
    assert frame["operator"].tolist() == ["街道食堂", "街道食堂", "街道食堂", None]
    assert frame.geometry.x.tolist()[1] == pytest.approx(116.5)


def test_replace_says_what_it_drops_and_needs_confirmation(store: Store, tmp_path: Path) -> None:
    ids = [f"M{i:02d}" for i in range(84)]
    import_file(store, meal_sheet(tmp_path / "a.xlsx", ids), name="meal_points", kind="meal_points")
    before = store.read("meal_points")
    new = meal_sheet(tmp_path / "new.xlsx", [*ids[:2], *[f"N{i}" for i in range(8)]])
    options = {"name": "meal_points", "kind": "meal_points", "mode": "replace"}
    with pytest.raises(ConfirmationRequiredError) as caught:
        import_file(store, new, **options)
    plan = caught.value.plan
    assert (plan.existing, plan.incoming, plan.result) == (84, 10, 10)
    assert plan.dropped == ids[2:]
    assert "dropped / 删除: 82" in str(caught.value) and "M02" in str(caught.value)
    assert store.info("meal_points").count == 84

    dry = import_file(store, new, dry_run=True, **options)
    assert dry.written is None and dry.plan is not None and len(dry.plan.dropped) == 82
    assert dry.preview["meal_point_id"].tolist() == ["M00", "M01", "N0", "N1", "N2"]
    assert {"lon", "lat"} <= set(dry.preview.columns)

    done = import_file(store, new, confirm=True, **options)
    assert done.written is not None and (done.written.count, done.written.version) == (10, 2)
    store.restore("meal_points", 1)
    pd.testing.assert_frame_equal(
        pd.DataFrame(store.read("meal_points")), pd.DataFrame(before), check_exact=True
    )
