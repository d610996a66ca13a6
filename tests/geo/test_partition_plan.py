"""Planning a partitioned coverage run: the districts' hulls (found from the points that
can be corners) and the districts of the points, equal to the plain computations (the
hull of every point, ``np.unique`` of the keys)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import ConvexHull, QhullError

from geo.distributed.coverage import _district_groups, _hull, _outer, district_keys
from tests.geo.conftest import GK117, ORIGIN


def _clouds() -> list[np.ndarray]:
    rng = np.random.default_rng(21)
    square = ORIGIN + rng.uniform(0, 7000, (15_000, 2))
    blob = ORIGIN + rng.normal(0, 800, (5_000, 2))
    disc = rng.uniform(0, 2 * np.pi, 3_000)
    circle = ORIGIN + 1000 * np.column_stack([np.cos(disc), np.sin(disc)])  # all corners
    snapped = ORIGIN + np.round(rng.uniform(0, 300, (4_000, 2)) / 30) * 30  # ties, repeats
    line = ORIGIN + np.outer(rng.uniform(0, 500, 200), [1.0, 2.0])  # collinear
    small = ORIGIN + rng.uniform(0, 10, (40, 2))
    return [square, blob, circle, snapped, line, small]


@pytest.mark.parametrize("case", range(6))
def test_hull_from_the_outer_points_equals_the_hull_of_all(case: int) -> None:
    xy = _clouds()[case]
    try:  # what the hull was before: scipy's of every point
        whole: Any = shapely.Polygon(xy[ConvexHull(xy).vertices])
    except QhullError:
        whole = shapely.convex_hull(shapely.multipoints(xy))
    got = _hull(xy)
    assert got.equals(whole)
    assert sorted(map(tuple, shapely.get_coordinates(got)[:-1])) == sorted(
        map(tuple, shapely.get_coordinates(whole)[:-1])
    )
    if case == 0:  # scattered points: nearly all are dropped before the hull
        assert len(_outer(xy)) < len(xy) / 10


def test_district_groups_equal_unique_of_the_keys() -> None:
    rng = np.random.default_rng(22)
    district = rng.choice(["110105", "110101", "110108", "110102"], 500)
    codes = [f"{d}{rng.integers(0, 10):03d}{rng.integers(0, 100):03d}" for d in district]
    units = gpd.GeoDataFrame(
        {"community_code": codes, "area": rng.choice(["东城", "西城", "朝阳"], 500)},
        geometry=shapely.points(ORIGIN + rng.uniform(0, 100, (500, 2))),
        crs=GK117,
    )
    for column in (None, "area"):
        which, names = _district_groups(units, district_of=column)
        keys = district_keys(units, district_of=column)
        expected_names, expected_which = np.unique(keys.astype(str), return_inverse=True)
        assert (names == expected_names).all() and names.dtype == expected_names.dtype
        assert (which == expected_which).all()
    assert list(pd.unique(names)) == ["东城", "朝阳", "西城"]
