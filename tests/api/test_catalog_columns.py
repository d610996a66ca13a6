"""A column a request names must be one of the layer's (besides its geometry): one check for
coverage, siting and zones, telling field, value and the columns there are in both
languages."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from api.catalog import require_column
from api.errors import InvalidBodyError


@pytest.fixture
def stations() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"station_id": ["S1"], "capacity_persons": [60]},
        geometry=[Point(500_000, 4_400_000)],
        crs="EPSG:4547",
    )


def test_a_column_of_the_layer_passes(stations: gpd.GeoDataFrame) -> None:
    require_column(stations, "capacity_persons", field="capacity_col", layer="stations")


@pytest.mark.parametrize("column", ["capacity", "geometry"])
def test_another_column_is_refused_naming_what_there_is(
    stations: gpd.GeoDataFrame, column: str
) -> None:
    with pytest.raises(InvalidBodyError) as info:
        require_column(stations, column, field="capacity_col", layer="stations")
    [problem] = info.value.problems()
    assert (problem["field"], problem["value"]) == ("capacity_col", column)
    reason = problem["reason"]
    assert "layer 'stations' has no such column (have: station_id, capacity_persons)" in reason
    assert "图层 stations 没有该字段（现有：station_id, capacity_persons）" in reason
