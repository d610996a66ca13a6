"""Street blocks: faces of the roads inside a community, slivers merged, counts summed from a
household layer or apportioned by area; over-size blocks cut and flagged."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo._errors import AnalysisError
from geo.communities import apportion, block_counts, cut_blocks, street_blocks

CRS = "EPSG:4548"
X0, Y0 = 440_000.0, 4_400_000.0


def _community(households: int = 4000) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["110105001001"],
            "name": ["甲社区居委会"],
            "street_code": ["110105001"],
            "households": [households],
            "population": [households * 2],
            "elderly_60_plus": [households // 2],
        },
        geometry=[shapely.box(X0, Y0, X0 + 400, Y0 + 300)],
        crs=CRS,
    )


def _roads(*xs: float, ys: tuple[float, ...] = ()) -> gpd.GeoDataFrame:
    lines = [shapely.LineString([(X0 + x, Y0 - 50), (X0 + x, Y0 + 350)]) for x in xs]
    lines += [shapely.LineString([(X0 - 50, Y0 + y), (X0 + 450, Y0 + y)]) for y in ys]
    return gpd.GeoDataFrame(geometry=lines, crs=CRS)


def test_blocks_are_the_faces_of_the_roads() -> None:
    blocks = street_blocks(_community(), _roads(100, 250, ys=(150,)))
    assert len(blocks) == 6
    assert blocks["area_m2"].sum() == pytest.approx(400 * 300)
    assert sorted(blocks["area_m2"].round()) == [15000] * 2 + [22500] * 2 + [22500] * 2
    assert blocks["block_id"].is_unique
    assert (blocks["community_code"] == "110105001001").all()
    # every block edge is a road or the old boundary
    edges = shapely.union_all(
        [*_roads(100, 250, ys=(150,)).geometry, _community().boundary.iloc[0]]
    )
    for geom in blocks.geometry:
        assert shapely.difference(geom.boundary, edges.buffer(1e-6)).length < 1e-6


def test_sliver_between_carriageways_is_merged() -> None:
    """A dual carriageway (two lines 8 m apart) leaves an 8 m strip: it joins a neighbour."""
    blocks = street_blocks(_community(), _roads(196, 204), min_width_m=20)
    assert len(blocks) == 2
    assert blocks["area_m2"].sum() == pytest.approx(400 * 300)
    kept = street_blocks(_community(), _roads(196, 204), min_width_m=0, min_area_m2=0)
    assert len(kept) == 3


def test_no_road_inside_is_one_block() -> None:
    blocks = street_blocks(_community(), _roads(900))
    assert len(blocks) == 1
    assert blocks.geometry.iloc[0].equals(_community().geometry.iloc[0])


def test_counts_apportioned_by_area_are_flagged() -> None:
    community = _community(4001)
    blocks = block_counts(street_blocks(community, _roads(100)), community)
    assert blocks["estimated"].all()
    assert blocks["households"].sum() == 4001
    assert blocks["households"].tolist() == [1000, 3001]  # 1/4 and 3/4 of the area
    assert blocks["population"].sum() == 8002


def test_counts_summed_from_a_household_layer() -> None:
    community = _community()
    buildings = gpd.GeoDataFrame(
        {"households": [120, 80, 300], "population": [250, 170, 640]},
        geometry=[
            shapely.Point(X0 + 50, Y0 + 50),
            shapely.box(X0 + 20, Y0 + 200, X0 + 60, Y0 + 240),
            shapely.Point(X0 + 300, Y0 + 100),
        ],
        crs=CRS,
    ).to_crs(4326)
    blocks = block_counts(street_blocks(community, _roads(100)), community, households=buildings)
    assert not blocks["estimated"].any()
    west = blocks.geometry.centroid.x < X0 + 100
    assert blocks.loc[west, "households"].item() == 200
    assert blocks.loc[~west, "households"].item() == 300
    assert blocks.loc[west, "population"].item() == 420
    # elderly are not in the layer: apportioned from the community by population
    assert blocks["elderly_60_plus"].sum() == 2000


def test_household_layer_without_counts_is_refused() -> None:
    community = _community()
    bad = gpd.GeoDataFrame({"hh": [1]}, geometry=[shapely.Point(X0, Y0)], crs=CRS)
    with pytest.raises(AnalysisError, match="households"):
        block_counts(street_blocks(community, _roads(100)), community, households=bad)


def test_apportion_keeps_the_total() -> None:
    assert apportion(10, np.array([1.0, 1.0, 1.0])).tolist() == [4, 3, 3]
    assert apportion(7, np.array([0.0, 0.0])).sum() == 7
    assert apportion(5, np.array([])).size == 0


def test_oversize_block_is_cut_and_flagged() -> None:
    community = _community(7000)
    blocks = block_counts(street_blocks(community, _roads(900)), community)
    cut = cut_blocks(blocks, max_households=3000, piece_households=1000)
    assert len(cut) >= 6
    assert cut["cut"].all()
    assert cut["households"].sum() == 7000
    assert cut["households"].max() <= 3000
    assert shapely.union_all(cut.geometry.values).symmetric_difference(
        community.geometry.iloc[0]
    ).area == pytest.approx(0, abs=1e-3)
    assert cut.geometry.area.sum() == pytest.approx(400 * 300, rel=1e-9)
    small = cut_blocks(blocks, max_households=8000, piece_households=1000)
    assert len(small) == 1 and not small["cut"].any()
