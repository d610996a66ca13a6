"""Service-radius standards: defaults by facility kind, all overridable by the caller.

- GB 50180-2018 (城市居住区规划设计标准) life circles: 5-, 10- and 15-minute walks, about
  300 / 500 / 1,000 m, used as the tiers for community elderly-care stations.
- Beijing's 2022 meal-aid policy: an urban meal point serves within 1,000 m.
- GB 51143-2015 (防灾避难场所设计规范): emergency shelters within about 500 m, fixed
  shelters within about 2,000 m (the standard gives 2-3 km).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from geo._errors import AnalysisError

__all__ = ["DEFAULT_RADII_M", "LIFE_CIRCLE_TIERS_M", "resolve_tiers", "tier_label"]

#: GB 50180-2018 life circles (5 / 10 / 15 minutes' walk)
LIFE_CIRCLE_TIERS_M: tuple[float, ...] = (300.0, 500.0, 1000.0)

#: default tiers by facility kind; the last tier is the service radius
DEFAULT_RADII_M: dict[str, tuple[float, ...]] = {
    "stations": LIFE_CIRCLE_TIERS_M,
    "meal_points": (1000.0,),
    "shelters": (500.0, 2000.0),
}


def resolve_tiers(
    kind: str | None = None,
    *,
    radius_m: float | None = None,
    tiers_m: Sequence[float] | None = None,
    defaults: dict[str, tuple[float, ...]] | None = None,
) -> tuple[float, ...]:
    """The tiers to report, ascending: ``tiers_m`` if given, else ``(radius_m,)``, else the
    default of ``kind``, else the life circles.

    Raises
    ------
    AnalysisError
        If a radius is not positive and finite.
    """
    table = DEFAULT_RADII_M if defaults is None else defaults
    if tiers_m is not None:
        tiers = tuple(float(r) for r in tiers_m)
    elif radius_m is not None:
        tiers = (float(radius_m),)
    elif kind is not None and kind in table:
        tiers = table[kind]
    else:
        tiers = LIFE_CIRCLE_TIERS_M
    if not tiers or not all(np.isfinite(r) and r > 0 for r in tiers):
        msg = f"radii must be positive metres, got {tiers} / 服务半径须为正数（米）"
        raise AnalysisError(msg)
    return tuple(sorted(set(tiers)))


def tier_label(radius_m: float) -> str:
    """Column suffix of a radius: ``300.0`` → ``"300m"``, ``250.5`` → ``"250.5m"``."""
    r = float(radius_m)
    return f"{int(r)}m" if r.is_integer() else f"{r:g}m"
