"""Which street segments a pedestrian may use, by OSM highway class."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["WALK_EXCLUDED_HIGHWAYS", "walkable"]

#: highway classes dropped from the walking network by default: roads closed to
#: pedestrians, ways meant for other modes, and ways that do not exist yet
WALK_EXCLUDED_HIGHWAYS: frozenset[str] = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "platform",
        "cycleway",
        "bus_guideway",
        "busway",
        "raceway",
        "construction",
        "proposed",
        "abandoned",
        "escape",
    }
)


def walkable(
    highway: NDArray[np.object_] | NDArray[np.str_],
    *,
    include: Collection[str] | None = None,
    exclude: Collection[str] = WALK_EXCLUDED_HIGHWAYS,
) -> NDArray[np.bool_]:
    """Which segments a walker may use.

    Parameters
    ----------
    highway
        The highway class of each segment; ``""`` or missing means unknown.
    include
        If given, only these classes are walkable (unknown classes are not).
    exclude
        Classes that are never walkable (ignored when ``include`` is given).

    Returns
    -------
    numpy.ndarray
        A boolean mask, true for walkable segments.
    """
    values = pd.Series(np.asarray(highway, dtype=object)).fillna("").astype(str).to_numpy()
    if include is not None:
        return np.isin(values, list(include))
    return ~np.isin(values, list(exclude))
