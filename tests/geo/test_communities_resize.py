"""The resize analysis on the Beijing demo and on hand-made communities: flags, proposals in
band along blocks, provisional unique codes, anchors, merging, hand edits and the accepted
communities layer."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo._errors import AnalysisError
from geo.communities import (
    CodeBook,
    Proposal,
    ResizeResult,
    flag_communities,
    move_blocks,
    part_name,
    parts_for,
    rename_parts,
    resize_communities,
)
from geo.zones import StalePlanError
from layers import open_store
from layers.validate import validate

CRS = "EPSG:4548"
X0, Y0 = 440_000.0, 4_400_000.0


@pytest.fixture(scope="module")
def demo(demo_store: Path) -> dict[str, gpd.GeoDataFrame]:
    store = open_store(demo_store)
    try:
        return {name: store.read(name) for name in ("communities", "roads")}
    finally:
        store.close()


@pytest.fixture(scope="module")
def demo_split(demo: dict[str, gpd.GeoDataFrame]) -> ResizeResult:
    """The demo's four communities over 5,000 households."""
    big = demo["communities"].loc[demo["communities"]["households"] > 5000, "code"]
    return resize_communities(demo["communities"], roads=demo["roads"], codes=big)


def test_demo_flags(demo: dict[str, gpd.GeoDataFrame]) -> None:
    flags = flag_communities(demo["communities"])
    counts = flags["flag"].value_counts()
    assert counts["split"] == 4
    assert counts["split"] + counts["resize"] == 35


def test_demo_over_5000_proposals_in_band(demo_split: ResizeResult) -> None:
    valid = demo_split.validation()
    assert len(valid) == 4
    assert (valid["status"] == "proposed").all(), valid["reasons"].tolist()
    assert valid["band_ok"].all() and valid["contiguous"].all()
    assert (valid["gap"] >= -1e-9).all() and (valid["gap"] <= 0.05).all()
    parts = demo_split.parts_gdf()
    assert parts["households"].between(1000, 3000).all()
    assert parts["in_band"].all()
    assert parts.crs == demo_split.communities.crs
    for p in demo_split.proposals:
        assert int(p.blocks["households"].sum()) == int(
            demo_split.communities.set_index("code").loc[p.community_code, "households"]
        )


def test_no_proposed_boundary_crosses_a_block(demo_split: ResizeResult) -> None:
    for p in demo_split.proposals:
        parts = p.parts_gdf()
        assert len(parts) == p.parts
        own = p.block_parts()
        for geom, code in zip(p.blocks.geometry, own, strict=True):
            inside = shapely.area(shapely.intersection(parts.geometry.values, geom))
            mine = parts["code"].to_numpy() == code
            slack = 1e-6 * geom.length
            assert inside[mine].item() == pytest.approx(geom.area, abs=slack)
            assert inside[~mine].sum() < slack
        old = demo_split.communities.set_index("code").to_crs(parts.crs).loc[p.community_code]
        union = shapely.union_all(parts.geometry.values)
        assert union.symmetric_difference(old.geometry).area < 1e-4 * old.geometry.area


def test_codes_provisional_and_unique(demo_split: ResizeResult) -> None:
    parts = demo_split.parts_gdf()
    existing = set(demo_split.communities["code"])
    assert parts["code"].is_unique
    assert parts["code_provisional"].all()
    assert not set(parts["code"]) & existing
    assert parts["code"].str.fullmatch(r"\d{12}").all()
    assert (parts["code"].str[:9] == parts["street_code"]).all()
    for p in demo_split.proposals:
        assert all(name.startswith(p.names[0][:-3]) for name in p.names)


def test_before_after_table(demo_split: ResizeResult) -> None:
    table = demo_split.before_after()
    for code, rows in table.groupby("proposal"):
        before = rows[rows["stage"] == "before"]
        after = rows[rows["stage"] == "after"]
        assert before["code"].tolist() == [code]
        for col in ("households", "population", "elderly_60_plus"):
            assert after[col].sum() == before[col].sum()
        assert after["area_m2"].sum() == pytest.approx(before["area_m2"].sum(), rel=1e-4)
        assert (rows["compactness"] > 0).all() and (rows["compactness"] <= 1).all()
        assert (rows["perimeter_m"] > 0).all()


def test_accepted_layer_validates_and_keeps_totals(demo_split: ResizeResult) -> None:
    layer = demo_split.accepted()
    old = demo_split.communities
    assert len(layer) == len(old) - 4 + len(demo_split.parts_gdf())
    assert layer["households"].sum() == old["households"].sum()
    assert layer["code"].is_unique
    validate(layer, "communities")  # raises on any bad row
    new = layer[~layer["code"].isin(old["code"])]
    assert new["estimated_fields"].str.contains("households").all()


def test_coverage_and_zones_run_on_the_accepted_layer(
    demo_store: Path, demo_split: ResizeResult
) -> None:
    """Downstream: the accepted communities feed coverage and zones like the old ones."""
    from geo.coverage import coverage
    from geo.zones import ZoneProblem, solve

    layer = demo_split.accepted()
    store = open_store(demo_store)
    try:
        stations = store.read("stations")
    finally:
        store.close()
    covered = coverage(layer, stations, kind="stations", mode="euclidean")
    by_code = covered.to_gdf().set_index("code")
    new = set(layer["code"]) - set(demo_split.communities["code"])
    assert new <= set(by_code.index)
    open_stations = stations[stations["status"] != "停业"]
    # a part's corner where a road meets the old boundary is a new vertex on an edge its
    # neighbour shares: the two edges meet within a hair, so adjacency needs a 1 cm tolerance
    problem = ZoneProblem.from_geodataframes(layer, open_stations, tolerance_m=0.01)
    plan = solve(problem)  # raises unless every station is in band
    assert (plan.assignment >= 0).all() and not plan.validate().fragmented
    assert set(plan.problem.unit_ids) == set(layer["code"])


def test_demo_all_35_flagged_proposed(demo: dict[str, gpd.GeoDataFrame]) -> None:
    result = resize_communities(demo["communities"], roads=demo["roads"])
    summary = result.summary()
    assert summary["proposals"] == 35
    assert summary["proposed"] == 35, result.validation()["reasons"].tolist()
    assert result.parts_gdf()["code"].is_unique


# --- hand-made communities ---------------------------------------------------------------


def _town() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Three communities in a row in one street (4,000 / 600 / 1,500 households), each
    400 × 300 m, crossed by roads every 100 m."""
    boxes = [shapely.box(X0 + 400 * i, Y0, X0 + 400 * (i + 1), Y0 + 300) for i in range(3)]
    communities = gpd.GeoDataFrame(
        {
            "code": ["110105001001", "110105001002", "110105001003"],
            "name": ["甲社区居委会", "乙社区居委会", "丙社区居委会"],
            "street_code": ["110105001"] * 3,
            "households": [4000, 600, 1500],
            "population": [9000, 1400, 3300],
            "elderly_60_plus": [2000, 300, 700],
        },
        geometry=boxes,
        crs=CRS,
    )
    xs = [
        shapely.LineString([(X0 + x, Y0 - 10), (X0 + x, Y0 + 310)]) for x in range(100, 1200, 100)
    ]
    ys = [shapely.LineString([(X0 - 10, Y0 + 150), (X0 + 1210, Y0 + 150)])]
    return communities, gpd.GeoDataFrame(geometry=xs + ys, crs=CRS)


def test_merge_undersize_neighbour() -> None:
    communities, roads = _town()
    alone = resize_communities(communities, roads=roads)
    assert [p.replaces for p in alone.proposals] == [("110105001001",)]
    merged = resize_communities(communities, roads=roads, merge_undersize=True)
    (p,) = merged.proposals
    assert p.replaces == ("110105001001", "110105001002")
    assert int(p.blocks["households"].sum()) == 4600
    assert p.status == "proposed"
    layer = merged.accepted()
    assert "110105001002" not in set(layer["code"])
    assert layer["households"].sum() == 6100


def test_anchors_every_part_holds_one() -> None:
    communities, roads = _town()
    anchors = gpd.GeoDataFrame(
        geometry=[shapely.Point(X0 + 50, Y0 + 50), shapely.Point(X0 + 350, Y0 + 250)], crs=CRS
    )
    result = resize_communities(communities, roads=roads, anchors=anchors)
    (p,) = result.proposals
    assert p.status == "proposed"
    assert (p.parts_gdf()["anchors"] >= 1).all()
    assert result.validation()["anchors_ok"].all()
    one = resize_communities(communities, roads=roads, anchors=anchors.iloc[:1])
    assert one.proposals[0].status == "infeasible"
    assert "anchor" in one.proposals[0].reasons[0]
    assert one.validation()["anchors_ok"].tolist() == [False]


def test_parts_given_and_infeasible_named() -> None:
    communities, roads = _town()
    result = resize_communities(communities, roads=roads, parts={"110105001001": 5})
    (p,) = result.proposals
    assert p.status == "infeasible"
    assert "cannot make 5 parts" in p.reasons[0]
    assert p.codes == ()
    with pytest.raises(AnalysisError, match="cannot be accepted"):
        result.accepted(["110105001001"])
    with pytest.raises(AnalysisError, match="110105009999"):
        resize_communities(communities, roads=roads, parts={"110105009999": 2})


def test_move_block_versions_and_stale_edit() -> None:
    communities, roads = _town()
    result = resize_communities(communities, roads=roads)
    (p,) = result.proposals
    assert p.version == 1
    parts = p.block_parts()
    moved_block = str(p.blocks["block_id"].iloc[0])
    target = next(c for c in p.codes if c != parts[0])
    edited = move_blocks(p, {moved_block: target}, based_on=1)
    assert edited.version == 2
    assert edited.block_parts()[0] == target
    assert edited.status == "proposed"  # the neighbours rebalanced to keep the band
    assert edited.parts_gdf()["households"].between(1000, 3000).all()
    with pytest.raises(StalePlanError):
        move_blocks(edited, {moved_block: parts[0]}, based_on=1)
    renamed = rename_parts(edited, {target: "新社区居委会"}, based_on=2)
    assert renamed.version == 3 and "新社区居委会" in renamed.names
    with pytest.raises(AnalysisError, match="unknown part"):
        move_blocks(renamed, {moved_block: "110105001999"}, based_on=3)
    assert result.with_proposal(renamed).proposal("110105001001").version == 3


def test_code_book_and_names() -> None:
    book = CodeBook(["110105001001", "110105001007", "110105002003"])
    assert book.take("110105001", 2) == ["110105001008", "110105001009"]
    assert book.take("110105001", 1) == ["110105001010"]
    assert book.take("110105003", 1) == ["110105003001"]
    with pytest.raises(AnalysisError, match="free community codes"):
        book.take("110105002", 997)
    assert part_name("甲社区居委会", 1) == "甲社区居委会（二）"
    assert part_name("甲", 11) == "甲（十二）"


@pytest.mark.parametrize(
    ("households", "expected"), [(3100, 2), (5200, 3), (4900, 2), (9002, 5), (2500, 1)]
)
def test_parts_from_target(households: int, expected: int) -> None:
    assert parts_for(households, (1000, 3000), 2000) == expected


def test_bad_options_refused() -> None:
    communities, roads = _town()
    with pytest.raises(AnalysisError, match="band"):
        resize_communities(communities, roads=roads, band_households=(3000, 1000))
    with pytest.raises(AnalysisError, match="roads"):
        resize_communities(communities)
    no_hh = communities.drop(columns="households")
    with pytest.raises(AnalysisError, match="households"):
        resize_communities(no_hh, roads=roads)
    assert np.isfinite(resize_communities(communities, roads=roads).summary()["seconds"])


def test_restored_proposal_equals_the_saved_one() -> None:
    from geo.communities import restore_proposal

    communities, roads = _town()
    (p,) = resize_communities(communities, roads=roads).proposals
    edited = move_blocks(p, {str(p.blocks["block_id"].iloc[0]): p.codes[1]}, based_on=1)

    def restored(q: Proposal) -> Proposal:
        return restore_proposal(
            q.blocks, community_code=q.community_code, replaces=q.replaces,
            street_code=q.street_code, flag=q.flag, band=q.band, anchored=q.anchored,
            codes=q.codes, names=q.names, centres=q.centre_ids(),
            assignment=q.assignment(), locked=q.locked(), version=q.version,
        )  # fmt: skip

    again = restored(edited)
    assert again.version == 2 and again.locked() == edited.locked() != []
    assert again.block_parts().tolist() == edited.block_parts().tolist()
    assert again.status == edited.status
    assert again.split.cost == pytest.approx(edited.split.cost)
    third = move_blocks(again, {str(p.blocks["block_id"].iloc[1]): p.codes[0]}, based_on=2)
    assert third.version == 3
    with pytest.raises(AnalysisError, match="does not match"):
        restore_proposal(
            p.blocks, community_code=p.community_code, replaces=p.replaces,
            street_code=p.street_code, flag=p.flag, band=p.band, anchored=False,
            codes=p.codes, names=p.names, centres=["nope", "nope2"],
            assignment=p.assignment(),
        )  # fmt: skip


def test_own_units_layer_gives_the_same_proposal() -> None:
    """A street office's own blocks (a units layer) instead of the roads."""
    from geo.communities import block_counts, street_blocks

    communities, roads = _town()
    units = block_counts(street_blocks(communities, roads), communities)
    from_roads = resize_communities(communities, roads=roads)
    from_units = resize_communities(communities, units=units.to_crs(4326))
    (a,), (b,) = from_roads.proposals, from_units.proposals
    assert a.block_parts().tolist() == b.block_parts().tolist()
    assert a.codes == b.codes and b.status == "proposed"
    with pytest.raises(AnalysisError, match="block_id"):
        resize_communities(communities, units=units.drop(columns="block_id"))
