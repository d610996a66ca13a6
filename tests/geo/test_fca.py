"""Two-step floating catchment (2SFCA): a hand-computed case and its invariants."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo import AnalysisError
from geo.coverage import two_step_fca
from tests.geo.conftest import GK117, ORIGIN, line

P = ORIGIN


def _case() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    demand = gpd.GeoDataFrame(
        {"community_code": ["110101001001", "110101002001"], "population": [100, 300]},
        geometry=shapely.points(P + np.array([[0.0, 0.0], [600.0, 0.0]])),
        crs=GK117,
    )
    shelters = gpd.GeoDataFrame(
        {"shelter_id": ["F1", "F2"], "effective_area_m2": [40.0, 60.0]},
        geometry=shapely.points(P + np.array([[100.0, 0.0], [1000.0, 0.0]])),
        crs=GK117,
    )
    return demand, shelters


def test_hand_computed_accessibility() -> None:
    demand, shelters = _case()
    res = two_step_fca(
        demand, shelters, supply="effective_area_m2", radius_m=500, network=line(3, 1000.0)
    )
    # F1 reaches both (100 m and 500 m): 40 / 400; F2 reaches the second only: 60 / 300
    assert res.facilities["supply_ratio"].to_numpy() == pytest.approx([0.1, 0.2])
    assert res.facilities["demand_within"].to_numpy() == pytest.approx([400.0, 300.0])
    assert res.accessibility == pytest.approx([0.1, 0.3])
    handed = (res.demand_points.weights["population"] * res.accessibility).sum()
    assert handed == pytest.approx(100.0)  # all supply handed out
    table = res.rollup("street").set_index("street_code")
    assert table.loc["110101002", "accessibility"] == pytest.approx(0.3)
    assert res.demand["accessibility"].to_numpy() == pytest.approx([0.1, 0.3])
    euclid = two_step_fca(
        demand, shelters, supply="effective_area_m2", radius_m=500, mode="euclidean"
    )
    assert euclid.accessibility == pytest.approx([0.1, 0.3])


def test_gaussian_decay_and_unreached_supply() -> None:
    demand, shelters = _case()
    net = line(3, 1000.0)
    res = two_step_fca(
        demand, shelters, supply="effective_area_m2", radius_m=500, network=net, decay="gaussian"
    )
    # g(d) = (exp(-(d/r)^2 / 2) - exp(-1/2)) / (1 - exp(-1/2)): 0 at the radius, so F1
    # counts only the first point, at 100 m
    g100 = (np.exp(-0.5 * 0.2**2) - np.exp(-0.5)) / (1 - np.exp(-0.5))
    assert res.facilities["demand_within"].iloc[0] == pytest.approx(100 * g100)
    assert res.accessibility[0] == pytest.approx(g100 * 40 / (100 * g100))
    far = two_step_fca(demand, shelters, supply="effective_area_m2", radius_m=50, network=net)
    assert np.isnan(far.facilities["supply_ratio"]).all() and (far.accessibility == 0).all()
    with pytest.raises(AnalysisError, match="decay"):
        two_step_fca(
            demand, shelters, supply="effective_area_m2", radius_m=500, network=net, decay="x"
        )
    with pytest.raises(AnalysisError, match="no column"):
        two_step_fca(demand, shelters, supply="meals_per_day", radius_m=500, network=net)
