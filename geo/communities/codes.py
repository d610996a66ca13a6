"""Provisional division codes and names of proposed communities.

A community's 12-digit code is its street's 9 digits and a 3-digit sequence. A proposed part
gets the street's next free sequence numbers: numbers above the highest the street uses (the
old codes of split communities are not reused while they are still in the layer), marked
provisional until the civil-affairs bureau assigns the real one. Names are the old name with
a Chinese ordinal, to edit.
"""

from __future__ import annotations

from collections.abc import Iterable

from geo._errors import AnalysisError

__all__ = ["CodeBook", "part_name"]

_ORDINALS = "一二三四五六七八九十"
_MAX_SEQUENCE = 999


def part_name(name: str, index: int) -> str:
    """``name`` with the ordinal of part ``index`` (0-based): ``多福巷社区居委会（二）``."""
    n = index + 1
    if n <= 10:
        ordinal = _ORDINALS[n - 1]
    elif n < 20:
        ordinal = "十" + _ORDINALS[n - 11]
    else:
        ordinal = str(n)
    return f"{name}（{ordinal}）"


class CodeBook:
    """The sequence numbers in use per street; hands out the next free ones.

    Parameters
    ----------
    codes
        Every 12-digit community code already in use.
    """

    def __init__(self, codes: Iterable[str]) -> None:
        self._top: dict[str, int] = {}
        for code in codes:
            text = str(code)
            if len(text) == 12 and text.isdigit():
                street, seq = text[:9], int(text[9:])
                self._top[street] = max(self._top.get(street, 0), seq)

    def take(self, street_code: str, count: int) -> list[str]:
        """``count`` new codes in ``street_code`` (never handed out twice).

        Raises
        ------
        AnalysisError
            The street's 3-digit sequence would pass 999.
        """
        street = str(street_code)
        if len(street) != 9 or not street.isdigit():
            msg = f"street code {street!r} is not 9 digits / 街道代码 {street!r} 不是 9 位数字"
            raise AnalysisError(msg)
        top = self._top.get(street, 0)
        if top + count > _MAX_SEQUENCE:
            msg = (
                f"street {street} has no {count} free community codes left"
                f" / 街道 {street} 已无 {count} 个可用社区代码"
            )
            raise AnalysisError(msg)
        self._top[street] = top + count
        return [f"{street}{top + i:03d}" for i in range(1, count + 1)]
