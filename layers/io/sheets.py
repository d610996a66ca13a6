"""One spreadsheet writer (XLSX and CSV) for every export and report people read.

A workbook is a summary sheet (:func:`summary_sheet`: what was run, with which layers and
parameters, when in Beijing time, from which store, and whether any figure is estimated)
followed by tables. Each table names its columns (:class:`Column`): a Chinese header with
its unit (English with ``lang="en"``), and a format: percentages as ``12.3%``, metres and
counts with thousands separators, lon/lat with 6 decimals. Headers are frozen and columns
sized to their content.

Formula injection: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return is written as text in XLSX (never a formula) and prefixed with ``'`` in CSV
(:func:`neutralise`), so ``=HYPERLINK(...)`` from a layer or a note stays inert.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import shapely
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

__all__ = [
    "CRS_LABELS",
    "FORMULA_STARTS",
    "SUMMARY_SHEET",
    "Column",
    "Format",
    "Lang",
    "Sheet",
    "add_lonlat",
    "guess_format",
    "has_estimates",
    "neutralise",
    "summary_sheet",
    "unneutralise",
    "workbook_bytes",
    "write_csv",
    "write_workbook",
]

Lang = Literal["zh", "en"]
Format = Literal["text", "int", "float", "percent", "metres", "lonlat", "datetime"]

#: characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: the summary sheet's name; readers skip it when looking for a table
SUMMARY_SHEET = "概况 summary"
BEIJING = dt.timezone(dt.timedelta(hours=8))
#: how the coordinate systems of lon/lat columns are named in headers
CRS_LABELS = {"wgs84": "WGS84", "gcj02": "GCJ-02", "bd09": "BD-09"}
_NUMBER_FORMATS: dict[str, str] = {
    "int": "#,##0",
    "float": "#,##0.00",
    "percent": "0.0%",
    "metres": "#,##0",
    "lonlat": "0.000000",
}
_MAX_WIDTH = 60
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))


@dataclass(frozen=True)
class Column:
    """One column of a table: the frame's ``key``, its headers and unit, its format."""

    key: str
    zh: str
    en: str
    unit: str = ""
    unit_en: str | None = None
    fmt: Format = "text"

    def header(self, lang: Lang) -> str:
        if lang == "en":
            unit = self.unit if self.unit_en is None else self.unit_en
            return f"{self.en} ({unit})" if unit else self.en
        return f"{self.zh}（{self.unit}）" if self.unit else self.zh


@dataclass
class Sheet:
    """A table: its name (Chinese, English), the frame, and its columns (default: every
    column of the frame, as text or number, headed by its own name)."""

    zh: str
    en: str
    frame: pd.DataFrame
    columns: list[Column] = field(default_factory=list)

    @classmethod
    def titled(cls, title: str, frame: pd.DataFrame) -> Sheet:
        """A table named ``"中文 english"`` (split at the first space), its columns headed
        by their own names."""
        zh, _, en = title.partition(" ")
        return cls(zh, en or zh, frame)

    def name(self, lang: Lang) -> str:
        text = self.en if lang == "en" or self.zh == self.en else f"{self.zh} {self.en}"
        return text.translate(_SHEET_FORBIDDEN)[:31]

    def resolved(self) -> list[Column]:
        if self.columns:
            return self.columns
        return [Column(str(c), str(c), str(c), fmt=guess_format(self.frame[c])) for c in self.frame]


def add_lonlat(
    frame: pd.DataFrame,
    points: Any,
    *,
    crs: str = "wgs84",
    zh: str = "",
    en: str = "",
) -> list[Column]:
    """Put the lon/lat of ``points`` (shapely points in WGS84, one per row) into
    ``frame["lon"]``/``frame["lat"]``, in ``crs`` (``wgs84``, or ``gcj02``/``bd09`` for
    pasting into 高德/百度 maps), and return their two columns (``zh``/``en`` prefix the
    headers: ``中心`` / ``centre``)."""
    from layers.coords import from_wgs84

    lon, lat = from_wgs84(shapely.get_x(points), shapely.get_y(points), crs)
    frame["lon"], frame["lat"] = lon, lat
    label = CRS_LABELS[crs]
    return [
        Column("lon", f"{zh}经度", f"{en}lon", label, fmt="lonlat"),
        Column("lat", f"{zh}纬度", f"{en}lat", label, fmt="lonlat"),
    ]


def has_estimates(frame: pd.DataFrame) -> bool:
    """Whether any row of a layer flags estimated values (its ``estimated_fields``), which
    the summary sheet's notice must then say."""
    if "estimated_fields" not in frame.columns:
        return False
    flags = frame["estimated_fields"].fillna("").astype(str).str.strip()
    return bool(flags.ne("").any())


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula, prefixed with ``'`` (for CSV)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unneutralise(value: Any) -> Any:
    """The text :func:`neutralise` was given (for reading a CSV mzgis wrote)."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def summary_sheet(
    what: str,
    rows: Sequence[tuple[str, str, Any]],
    *,
    store: str,
    estimated: bool,
    now: dt.datetime | None = None,
) -> Sheet:
    """The summary sheet: ``what`` was run, ``rows`` of (Chinese label, English label,
    value) for its layers and parameters, then the time (Beijing), the store and the
    estimated-data notice."""
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    notice = (
        "是：含示例或估算数据（见各图层 estimated_fields），不是官方统计 / yes: includes"
        " demo or estimated data (see estimated_fields), not official statistics"
        if estimated
        else "否 no"
    )
    items = [
        ("内容", "content", what),
        *rows,
        ("生成时间（北京时间）", "generated (Beijing time, UTC+8)", stamp),
        ("数据存储", "store", store),
        ("估算数据", "estimated data", notice),
    ]
    frame = pd.DataFrame(
        {"zh": [r[0] for r in items], "en": [r[1] for r in items], "value": [r[2] for r in items]}
    )
    columns = [
        Column("zh", "项目", "item"),
        Column("en", "item", "item"),
        Column("value", "值", "value"),
    ]
    return Sheet("概况", "summary", frame, columns)


def write_workbook(sheets: Sequence[Sheet], path: str | Path, *, lang: Lang = "zh") -> Path:
    """Write ``sheets`` as one XLSX workbook (beside the target, then moved into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = workbook_bytes(sheets, lang=lang)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.stem}.", delete=False) as f:
        f.write(data)
    Path(f.name).replace(path)
    return path


def workbook_bytes(sheets: Sequence[Sheet], *, lang: Lang = "zh") -> bytes:
    """``sheets`` as the bytes of an XLSX workbook."""
    book = Workbook()
    default = book.active
    for sheet in sheets:
        _fill(book.create_sheet(sheet.name(lang)), sheet, lang)
    if default is not None:
        book.remove(default)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_csv(sheet: Sheet, path: str | Path, *, lang: Lang = "zh") -> Path:
    """One table as CSV (UTF-8 with BOM so Excel shows Chinese), text neutralised."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = sheet.resolved()
    table = pd.DataFrame(
        {c.header(lang): sheet.frame[c.key].map(_csv_value) for c in columns},
        index=sheet.frame.index,
    )
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.stem}.", delete=False) as f:
        table.to_csv(f, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    Path(f.name).replace(path)
    return path


# -- cells ------------------------------------------------------------------------------


def _fill(ws: Any, sheet: Sheet, lang: Lang) -> None:
    columns = sheet.resolved()
    headers = [c.header(lang) for c in columns]
    widths = [_text_width(h) for h in headers]
    for j, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=j, value=header)
        cell.data_type = "s"
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for j, column in enumerate(columns, start=1):
        number_format = _NUMBER_FORMATS.get(column.fmt)
        for i, value in enumerate(sheet.frame[column.key].tolist(), start=2):
            cell = ws.cell(row=i, column=j)
            _set(cell, value)
            if number_format and isinstance(cell.value, int | float):
                cell.number_format = number_format
            widths[j - 1] = max(widths[j - 1], _text_width(_shown(cell.value, column.fmt)))
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(width + 2, _MAX_WIDTH)
    ws.freeze_panes = "A2"


def _set(cell: Any, value: Any) -> None:
    """Put a value in a cell: numbers as numbers, everything else as text (never a
    formula, whatever it starts with)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalars
    if isinstance(value, bool):
        cell.value = "是 yes" if value else "否 no"
    elif isinstance(value, int | float):
        cell.value = value if math.isfinite(value) else str(value)
    elif isinstance(value, dt.datetime | pd.Timestamp):
        cell.value = _beijing(value)
    else:
        cell.value = str(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"  # openpyxl would take "=..." as a formula


def _beijing(value: dt.datetime) -> str:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return str(stamp.tz_convert(BEIJING).strftime("%Y-%m-%d %H:%M:%S"))


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | pd.Timestamp) and not pd.isna(value):
        return _beijing(value)
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    return neutralise(value)


def _shown(value: Any, fmt: str) -> str:
    if value is None:
        return ""
    if fmt == "percent" and isinstance(value, int | float):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.6f}" if fmt == "lonlat" else f"{value:,.2f}"
    return str(value)


def _text_width(text: str) -> int:
    """Columns a text needs: CJK characters count twice."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def guess_format(values: pd.Series) -> Format:
    """The format of a column from its dtype: ``int``, ``float`` or ``text``."""
    if pd.api.types.is_bool_dtype(values):
        return "text"
    if pd.api.types.is_integer_dtype(values):
        return "int"
    if pd.api.types.is_float_dtype(values):
        return "float"
    return "text"
