"""Parsing of request parameters shared by the HTTP API and the CLI."""

from __future__ import annotations

import math

from api.errors import InvalidParameterError

__all__ = ["LAT_RANGE", "LON_RANGE", "parse_bbox"]

BBox = tuple[float, float, float, float]
LON_RANGE = (-180.0, 180.0)
LAT_RANGE = (-90.0, 90.0)


def parse_bbox(text: str, *, name: str = "bbox") -> BBox:
    """Read an OGC API ``bbox``: ``min lon,min lat,max lon,max lat`` in CRS84.

    Six numbers (with min and max heights) are accepted as the standard allows; the heights
    are ignored.

    Parameters
    ----------
    text
        The comma-separated numbers as sent.
    name
        The parameter name used in error messages.

    Returns
    -------
    tuple of float
        ``(min_lon, min_lat, max_lon, max_lat)``.

    Raises
    ------
    InvalidParameterError
        On a wrong count of numbers, text that is not a number, min > max, or a longitude or
        latitude out of range; the message names the offending value.
    """
    parts = [p.strip() for p in text.split(",")]
    if len(parts) not in (4, 6):
        raise InvalidParameterError(
            name,
            text,
            f"needs 4 comma-separated numbers (min lon,min lat,max lon,max lat), got {len(parts)}",
            f"需要 4 个以逗号分隔的数字（最小经度,最小纬度,最大经度,最大纬度），"
            f"实际为 {len(parts)} 个",
        )
    numbers = [_number(p, text, name) for p in parts]
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    x0, y0, x1, y1 = numbers
    _check_range(x0, LON_RANGE, en="longitude", zh="经度", text=text, name=name)
    _check_range(x1, LON_RANGE, en="longitude", zh="经度", text=text, name=name)
    _check_range(y0, LAT_RANGE, en="latitude", zh="纬度", text=text, name=name)
    _check_range(y1, LAT_RANGE, en="latitude", zh="纬度", text=text, name=name)
    if x0 > x1 or y0 > y1:
        raise InvalidParameterError(
            name,
            text,
            "the minimum must not exceed the maximum (min lon ≤ max lon, min lat ≤ max lat)",
            "最小值不能大于最大值（最小经度 ≤ 最大经度，最小纬度 ≤ 最大纬度）",
        )
    return x0, y0, x1, y1


def _number(part: str, text: str, name: str) -> float:
    try:
        value = float(part)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidParameterError(
            name, text, f"{part!r} is not a finite number", f"{part!r} 不是有效数字"
        )
    return value


def _check_range(
    value: float, bounds: tuple[float, float], *, en: str, zh: str, text: str, name: str
) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise InvalidParameterError(
            name,
            text,
            f"{en} {value:g} is outside [{low:g}, {high:g}]",
            f"{zh} {value:g} 超出范围 [{low:g}, {high:g}]",
        )
