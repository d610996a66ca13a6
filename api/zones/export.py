"""One version of a zone plan as an Excel workbook, for people: the assignment (community
code and name, street, station id and name, workload, walk, locked) and the stations
(capacity, band, workload, state), with bilingual headers.

Text that a person typed (names) is written as text, never as a formula: a value starting
with ``=``, ``+``, ``-`` or ``@`` stays a literal string in the cell.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from api.zones.stored import StoredPlan
from geo.zones import band_states

__all__ = ["plan_workbook", "write_rows"]

_ASSIGNMENT = (
    "社区编码 / unit",
    "社区名称 / name",
    "街道 / street",
    "驿站编号 / station",
    "驿站名称 / station name",
    "工作量 / workload",
    "步行距离（米）/ walk (m)",
    "锁定 / locked",
)
_STATIONS = (
    "驿站编号 / station",
    "驿站名称 / name",
    "服务能力 / capacity",
    "下限 / lower",
    "上限 / upper",
    "工作量 / workload",
    "状态 / band",
)
_BAND = {"ok": "正常 / ok", "over": "超负荷 / over", "under": "不足 / under"}


def _value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def write_rows(sheet: Worksheet, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Append ``header`` and ``rows`` to ``sheet``; every string is stored as text (a
    leading ``=`` never makes a formula)."""
    for r, row in enumerate([list(header), *rows], start=1):
        for c, raw in enumerate(row, start=1):
            value = _value(raw)
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"


def _assignment_rows(
    stored: StoredPlan, units: dict[str, str], stations: dict[str, str]
) -> list[list[Any]]:
    table = stored.plan.assignment_table()
    ids = table["unit_id"].astype(str)
    station = table["station_id"].map(lambda s: None if s is None else str(s))
    return [
        list(row)
        for row in zip(
            ids,
            ids.map(lambda u: units.get(u, "")),
            table["street"].astype(str),
            station,
            station.map(lambda s: stations.get(s, "") if s else ""),
            table["workload"],
            table["walk_m"].round(0),
            table["locked"].map(lambda locked: "是 / yes" if locked else ""),
            strict=True,
        )
    ]


def _station_rows(stored: StoredPlan, stations: dict[str, str]) -> list[list[Any]]:
    states = band_states(stored.plan)
    ids = states["station_id"].astype(str)
    return [
        list(row)
        for row in zip(
            ids,
            ids.map(lambda s: stations.get(s, "")),
            states["capacity"],
            states["lower"].round(1),
            states["upper"].round(1),
            states["workload"],
            states["band"].map(_BAND),
            strict=True,
        )
    ]


def plan_workbook(
    stored: StoredPlan, *, unit_names: dict[str, str], station_names: dict[str, str]
) -> bytes:
    """The ``.xlsx`` bytes of one version of a plan."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "片区分配 assignment"
    write_rows(sheet, _ASSIGNMENT, _assignment_rows(stored, unit_names, station_names))
    write_rows(book.create_sheet("驿站 stations"), _STATIONS, _station_rows(stored, station_names))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
