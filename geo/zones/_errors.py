"""Errors raised by :mod:`geo.zones`.

The hierarchy (the bases come from :mod:`geo._errors` and :mod:`layers._errors`)::

    InfeasibleError (422)
    └── BandInfeasibleError     stations cannot meet their workload band, or units have no
                                station they may join; carries ``stations``, ``units``,
                                ``proven`` and the best-effort ``plan`` (if one was built)
    PreconditionFailedError (412)
    └── StalePlanError          an edit was based on a plan version that is no longer current
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geo._errors import InfeasibleError
from layers._errors import PreconditionFailedError

__all__ = ["BandInfeasibleError", "StalePlanError"]

_MAX_IDS_IN_MESSAGE = 20


def _ids_text(ids: Sequence[Any]) -> str:
    shown = ", ".join(str(i) for i in ids[:_MAX_IDS_IN_MESSAGE])
    more = len(ids) - _MAX_IDS_IN_MESSAGE
    return shown + (f" (+{more} more)" if more > 0 else "")


class BandInfeasibleError(InfeasibleError):
    """Stations cannot meet their workload band (or units cannot be assigned at all).

    Attributes
    ----------
    stations
        Ids of the stations whose band is not met.
    units
        Ids of units that have no station they may be assigned to.
    proven
        ``True`` when infeasibility is proven (aggregate workload of a street, the LP, or the
        exact MILP); ``False`` when the heuristic could not meet the band but did not prove
        that nothing could.
    plan
        The best-effort plan (a :class:`geo.zones.plan.ZonePlan`) or ``None``.
    """

    def __init__(
        self,
        *,
        stations: Sequence[Any] = (),
        units: Sequence[Any] = (),
        proven: bool = True,
        plan: Any = None,
    ) -> None:
        self.stations = list(stations)
        self.units = list(units)
        self.proven = proven
        self.plan = plan
        parts = []
        if self.stations:
            how = "cannot meet" if proven else "did not meet (heuristic)"
            zh = "无法满足" if proven else "未满足（启发式）"
            parts.append(
                f"stations {how} their workload band: {_ids_text(self.stations)}"
                f" / 驿站{zh}工作量区间：{_ids_text(self.stations)}"
            )
        if self.units:
            parts.append(
                f"units have no station they may join: {_ids_text(self.units)}"
                f" / 单元无可分配驿站：{_ids_text(self.units)}"
            )
        super().__init__("; ".join(parts) or "infeasible zoning problem / 片区划分无可行解")


class StalePlanError(PreconditionFailedError):
    """An edit named a plan version that is no longer the current one (HTTP 412)."""

    def __init__(self, *, based_on: int, current: int) -> None:
        self.based_on = based_on
        self.current = current
        super().__init__(
            f"edit based on plan version {based_on}, but the current version is {current}; "
            f"reload and edit again / 编辑基于方案版本 {based_on}，当前版本为 {current}，"
            "请重新加载后再编辑"
        )
