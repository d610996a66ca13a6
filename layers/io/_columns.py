"""Column names: finding the coordinate columns of a table, and shapefile field names.

Planners' spreadsheets name their coordinate columns in many ways (``lon``/``lat``,
``lng``, ``经度``/``纬度``, ``lon_gcj02``, ``X``/``Y``, ``东坐标``/``北坐标``). Detection is
exact first (after normalising case, spaces and a bracketed unit such as ``经度(°)``), then by
affix (``lon_gcj02``, ``wgs84_lat``) for lon/lat names only; more than one candidate is an
error that asks the user to name the columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from layers._errors import LayerReadError

__all__ = [
    "SHAPEFILE_FIELD_BYTES",
    "CoordinateColumns",
    "find_coordinates",
    "normalise",
    "shapefile_names",
]

SHAPEFILE_FIELD_BYTES = 10

_LON = ("lon", "lng", "long", "longitude", "经度", "东经")
_LAT = ("lat", "latitude", "纬度", "北纬")
_X = ("x", "easting", "东坐标", "东向坐标", "x坐标")
_Y = ("y", "northing", "北坐标", "北向坐标", "y坐标")
_BRACKETS = re.compile(r"[(（\[【].*?[)）\]】]")


@dataclass(frozen=True)
class CoordinateColumns:
    """The two columns holding point coordinates; ``projected`` for x/y (easting/northing)."""

    x: str
    y: str
    projected: bool


def normalise(name: object) -> str:
    text = _BRACKETS.sub("", str(name)).strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _matches(columns: Sequence[str], names: Iterable[str], *, affix: bool) -> list[str]:
    wanted = set(names)
    found = []
    for col in columns:
        norm = normalise(col)
        if norm in wanted or (
            affix and any(part in wanted and part != "long" for part in norm.split("_"))
        ):
            found.append(col)
    return found


def _pick(
    columns: Sequence[str], xs: Sequence[str], ys: Sequence[str], *, affix: bool, source: str
) -> tuple[str, str] | None:
    found_x = _matches(columns, xs, affix=affix)
    found_y = _matches(columns, ys, affix=affix)
    if not found_x and not found_y:
        return None
    if len(found_x) == 1 and len(found_y) == 1:
        return found_x[0], found_y[0]
    msg = (
        f"{source}: cannot tell which columns hold the coordinates (x candidates {found_x},"
        f" y candidates {found_y}); name them with lon=/lat= or x=/y="
        f" / 无法确定坐标列（候选 {found_x}、{found_y}），请用 lon=/lat= 或 x=/y= 指定"
    )
    raise LayerReadError(msg)


def find_coordinates(
    columns: Sequence[str],
    *,
    lon: str | None = None,
    lat: str | None = None,
    x: str | None = None,
    y: str | None = None,
    source: str = "",
) -> CoordinateColumns | None:
    """The coordinate columns of a table: named by option, or detected.

    Returns ``None`` when no column looks like a coordinate (the caller may then look for
    a WKT ``geometry`` column). Raises :class:`LayerReadError` when a named column is
    absent, only one of a pair is given or found, or the detection is ambiguous.
    """
    if (lon is None) != (lat is None) or (x is None) != (y is None):
        msg = (
            f"{source}: give both lon= and lat= (or both x= and y=) / 经纬度（或 x/y）列须成对指定"
        )
        raise LayerReadError(msg)
    if lon is not None and x is not None:
        msg = f"{source}: give lon=/lat= or x=/y=, not both / 只能指定 lon/lat 或 x/y 其中一对"
        raise LayerReadError(msg)
    named = (lon, lat, False) if lon is not None else (x, y, True)
    if named[0] is not None and named[1] is not None:
        missing = [c for c in named[:2] if c not in columns]
        if missing:
            msg = (
                f"{source}: column(s) {missing} not found; columns are {list(columns)}"
                f" / 文件中没有列 {missing}"
            )
            raise LayerReadError(msg)
        return CoordinateColumns(named[0], named[1], named[2])
    for affix in (False, True):
        pair = _pick(columns, _LON, _LAT, affix=affix, source=source)
        if pair is not None:
            return CoordinateColumns(*pair, projected=False)
    pair = _pick(columns, _X, _Y, affix=False, source=source)
    return None if pair is None else CoordinateColumns(*pair, projected=True)


def _truncate(name: str, limit: int) -> str:
    out = ""
    for char in name:
        if len((out + char).encode("utf-8")) > limit:
            break
        out += char
    return out


def shapefile_names(columns: Iterable[str]) -> dict[str, str]:
    """Map column names to shapefile field names of at most 10 bytes (UTF-8), unique
    regardless of case.

    A name that fits is kept. A longer one is cut to 10 bytes (never inside a character);
    if that collides with a field already taken, the cut is shortened to make room for
    ``_1``, ``_2`` … and the first free suffix is used. Columns are taken in order, so the
    same columns always give the same names (``capacity_persons`` → ``capacity_p``;
    ``reference_objects``, ``reference_status`` → ``reference_``, ``referenc_1``).
    """
    taken: set[str] = set()
    out: dict[str, str] = {}
    for col in columns:
        name = _truncate(str(col), SHAPEFILE_FIELD_BYTES)
        n = 0
        while name.lower() in taken:
            n += 1
            suffix = f"_{n}"
            name = _truncate(str(col), SHAPEFILE_FIELD_BYTES - len(suffix)) + suffix
        taken.add(name.lower())
        out[col] = name
    return out
