"""The embedded Beijing demo: real data kept as published, estimates seeded and labelled."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import prcoords
import pytest
import shapely

from layers import LayerReadError, open_store
from layers.demo import DEFAULT_RAW_DIR, build_demo, ensure_demo

CENSUS = {"110101": 708_829, "110102": 1_106_214}
METRES = "EPSG:4548"
#: columns each layer must declare as estimated (at least these)
ESTIMATED = {
    "streets": {"population"},
    "communities": {
        "geometry", "population", "elderly_60_plus", "elderly_80_plus", "basic_recipients",
        "households",
    },
    "stations": {"geometry", "capacity_persons", "star_rating", "status"},
    "meal_points": {"geometry", "meals_per_day"},
    "shelters": {"shelter_class", "effective_area_m2", "capacity_persons"},
    "cemeteries": {"geometry", "cemetery_type", "total_plots", "remaining_plots"},
    "markers": {"geometry", "sigma_m", "reference_objects", "marker_type"},
    "inspections": {"geometry", "condition", "accuracy_m", "fix_type", "inspectors"},
}  # fmt: skip


@pytest.fixture(scope="module")
def demo(demo_store: Path) -> dict[str, gpd.GeoDataFrame]:
    store = open_store(demo_store)
    return {info.name: store.read(info.name) for info in store.layers()}


def test_layer_counts(demo: dict[str, gpd.GeoDataFrame]) -> None:
    assert len(demo["districts"]) == 2
    assert len(demo["streets"]) == 32
    communities = demo["communities"]
    assert len(communities) == 432
    per_district = communities["street_code"].str[:6].value_counts().to_dict()
    assert per_district == {"110101": 169, "110102": 263}
    assert 150 <= len(demo["shelters"]) <= 230
    assert 80 <= len(demo["stations"]) <= 105
    assert 70 <= len(demo["meal_points"]) <= 95
    assert len(demo["cemeteries"]) == 3
    assert 10 <= len(demo["inspections"]) <= 60
    assert len(demo["roads"]) > 10_000


def test_community_codes_nest_in_their_streets(demo: dict[str, gpd.GeoDataFrame]) -> None:
    communities, streets = demo["communities"], demo["streets"]
    assert communities["code"].str.fullmatch(r"\d{12}").all()
    assert all(
        c.startswith(s)
        for c, s in zip(communities["code"], communities["street_code"], strict=True)
    )
    assert set(communities["street_code"]) == set(streets["code"])
    assert communities["code"].is_unique


def test_communities_partition_their_street(demo: dict[str, gpd.GeoDataFrame]) -> None:
    communities, streets = demo["communities"], demo["streets"].set_index("code").geometry
    assert communities.is_valid.all()
    assert not communities.is_empty.any()
    in_metres = communities.to_crs(METRES)
    streets_m2 = streets.to_crs(METRES).area
    for code, street in streets.items():
        mine = (communities["street_code"] == code).to_numpy()
        cells = communities.geometry.to_numpy()[mine]
        # inside: what sticks out is floating-point dust (the cells are cut in lon/lat)
        assert shapely.area(shapely.difference(cells, street)).sum() < 1e-9 * street.area
        covered = shapely.union_all(cells).area / street.area
        assert covered == pytest.approx(1.0, abs=0.01), code
        # no overlaps: the parts add up to the whole (measured in metres)
        parts_m2 = in_metres.area.to_numpy()[mine].sum()
        assert parts_m2 / streets_m2[code] == pytest.approx(1.0, abs=0.01), code


def test_populations_sum_to_the_census(demo: dict[str, gpd.GeoDataFrame]) -> None:
    districts = demo["districts"].set_index("code")["population"].to_dict()
    assert districts == CENSUS
    streets = demo["streets"].groupby("district_code")["population"].sum().to_dict()
    assert streets == CENSUS
    communities = demo["communities"]
    by_district = communities.groupby(communities["street_code"].str[:6])["population"].sum()
    assert by_district.to_dict() == CENSUS
    by_street = communities.groupby("street_code")["population"].sum()
    assert by_street.to_dict() == demo["streets"].set_index("code")["population"].to_dict()


def test_elderly_shares_are_plausible(demo: dict[str, gpd.GeoDataFrame]) -> None:
    c = demo["communities"]
    share_60 = c["elderly_60_plus"].sum() / c["population"].sum()
    assert 0.22 <= share_60 <= 0.28
    assert 0.13 <= c["elderly_80_plus"].sum() / c["elderly_60_plus"].sum() <= 0.16
    assert 0.05 <= c["basic_recipients"].sum() / c["elderly_60_plus"].sum() <= 0.06
    assert c["population"].sum() / c["households"].sum() == pytest.approx(2.5, abs=0.1)
    capacity = demo["stations"]["capacity_persons"].sum()
    assert capacity == round(1.1 * c["basic_recipients"].sum())


def test_a_station_in_every_street_sized_to_its_communities(
    demo: dict[str, gpd.GeoDataFrame],
) -> None:
    stations, communities = demo["stations"], demo["communities"]
    street_of = communities.set_index("code")["street_code"]
    station_street = street_of.loc[stations["community_code"]].to_numpy()
    assert set(station_street) == set(demo["streets"]["code"])  # Beijing's goal
    assert stations["community_code"].is_unique  # one station per community at most
    homes = communities.set_index("code").geometry.loc[stations["community_code"]]
    assert shapely.contains(homes.to_numpy(), stations.geometry.to_numpy()).all()
    # capacities follow the recipients of each street: 1.1 × them, ±3 % jitter and rounding
    capacity = stations.groupby(station_street)["capacity_persons"].sum()
    recipients = communities.groupby("street_code")["basic_recipients"].sum()
    ratio = capacity / recipients.loc[capacity.index]
    assert ratio.between(1.1 * 0.96, 1.1 * 1.04).all(), ratio.describe()
    assert (stations["capacity_persons"] > 0).all()
    assert stations["source"].str.contains("one station in every street").all()


def test_every_estimated_column_is_labelled(demo: dict[str, gpd.GeoDataFrame]) -> None:
    for name, frame in demo.items():
        assert frame["source"].notna().all(), name
        assert frame["source"].str.len().min() > 10, name
    for name, expected in ESTIMATED.items():
        listed = demo[name]["estimated_fields"].str.split(",")
        for fields in listed:
            assert expected <= set(fields), name
            assert set(fields) <= {*demo[name].columns}, name
    assert demo["cemeteries"]["name"].str.contains("估算").all()


def test_shelters_are_converted_from_gcj02(demo: dict[str, gpd.GeoDataFrame]) -> None:
    raw = pd.read_csv(DEFAULT_RAW_DIR / "shelters" / "beijing_shelters_gcj02.csv", dtype=str)
    shelters = demo["shelters"]
    joined = raw.set_index("sid").loc[shelters["shelter_id"]]
    lon_gcj = joined["lon_gcj02"].astype(float).to_numpy()
    lat_gcj = joined["lat_gcj02"].astype(float).to_numpy()
    dlon = shelters.geometry.x.to_numpy() - lon_gcj
    dlat = shelters.geometry.y.to_numpy() - lat_gcj
    assert dlon.mean() == pytest.approx(-0.006, abs=0.0008)
    assert dlat.mean() == pytest.approx(-0.0013, abs=0.0004)
    # an independent implementation of the GCJ-02 inverse agrees to well under a metre
    for i in range(0, len(shelters), 17):
        expected = prcoords.gcj_wgs_bored(prcoords.Coords(lat_gcj[i], lon_gcj[i]))
        assert shelters.geometry.x.iloc[i] == pytest.approx(expected.lon, abs=1e-6)
        assert shelters.geometry.y.iloc[i] == pytest.approx(expected.lat, abs=1e-6)
    assert (shelters["capacity_persons"] == (shelters["effective_area_m2"] / 1.5) // 1).all()
    inside = shelters.within(shapely.union_all(demo["districts"].geometry.to_numpy()))
    assert inside.all()


def test_boundary_lines_and_markers(demo: dict[str, gpd.GeoDataFrame]) -> None:
    lines = demo["boundary_lines"]
    shared = lines[lines["line_code"] == "0001"].iloc[0]
    assert {shared["left_code"], shared["right_code"]} == {"110101", "110102"}
    a, b = demo["districts"].set_index("code").geometry.loc[["110101", "110102"]]
    assert shared.geometry.difference(a.boundary.buffer(1e-7)).is_empty
    assert shared.geometry.difference(b.boundary.buffer(1e-7)).is_empty
    assert 10_000 < shared["length_m"] < 20_000
    measured = lines.to_crs(METRES).length.to_numpy()
    np.testing.assert_allclose(lines["length_m"].to_numpy(), measured, rtol=1e-9)
    markers = demo["markers"]
    assert markers["marker_no"].str.fullmatch(r"\d{7}[QABCDE]").all()
    assert (markers["marker_no"].str[:4] == markers["line_code"]).all()
    assert (markers["marker_type"] == "A").mean() > 0.6
    assert markers["reference_objects"].map(len).min() >= 3
    on_line = lines.set_index("line_code").to_crs(METRES).geometry.loc[markers["line_code"]]
    gap_m = shapely.distance(on_line.to_numpy(), markers.to_crs(METRES).geometry.to_numpy())
    assert gap_m.max() < 0.01
    spacing = lines["length_m"].sum() / len(markers)
    assert 300 < spacing < 450


def test_inspections_observe_markers_of_line_0001(demo: dict[str, gpd.GeoDataFrame]) -> None:
    inspections, markers = demo["inspections"], demo["markers"].set_index("marker_no")
    assert (inspections["campaign_id"] == "2025-0001").all()
    assert inspections["marker_no"].isin(markers.index).all()
    assert (inspections["marker_no"].str[:4] == "0001").all()
    register = markers.geometry.loc[inspections["marker_no"]].to_crs(METRES).to_numpy()
    shift_m = shapely.distance(inspections.to_crs(METRES).geometry.to_numpy(), register)
    assert (shift_m < 2.0).sum() >= len(inspections) - 2
    assert (shift_m > 3.0).sum() >= 2
    sides = inspections["inspectors"].map(lambda names: [n[-4:-1] for n in names])
    assert sides.map(lambda s: s == ["东城区", "西城区"]).all()
    assert (inspections["condition"] == "完好").mean() > 0.5


def test_roads_have_lengths_in_metres(demo: dict[str, gpd.GeoDataFrame]) -> None:
    roads = demo["roads"]
    raw = pd.read_csv(DEFAULT_RAW_DIR / "beijing_walk_network" / "edges.csv")
    chord_m = raw["chord_m"].to_numpy()[roads["edge_id"].to_numpy()]
    np.testing.assert_allclose(roads["length_m"].to_numpy(), chord_m, rtol=0.005, atol=0.2)
    assert (roads["length_m"] > 0).all()
    assert roads["edge_id"].is_unique
    assert {"residential", "footway", "trunk"} <= set(roads["highway"])
    x0, y0, x1, y1 = demo["districts"].total_bounds
    rx0, ry0, rx1, ry1 = roads.total_bounds
    assert x0 - 0.02 < rx0 < x0 and y0 - 0.015 < ry0 < y0
    assert x1 < rx1 < x1 + 0.02 and y1 < ry1 < y1 + 0.015


def test_same_seed_same_store_and_summary(demo_store: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    summary = build_demo(DEFAULT_RAW_DIR, tmp_path / "again.gpkg", progress=messages.append)
    assert summary.counts["communities"] == 432
    assert summary.elapsed_s > 0
    assert f"{summary.elapsed_s:.1f} s" in str(summary)
    assert summary.size_bytes == (tmp_path / "again.gpkg").stat().st_size
    assert len(messages) == len(summary.counts) + 1
    assert messages[2] == "communities: 432 / 社区 432 条"
    first, second = open_store(demo_store), open_store(summary.path)
    for info in first.layers():
        a, b = (pd.DataFrame(s.read(info.name)) for s in (first, second))
        a["geometry"], b["geometry"] = shapely.to_wkb(a["geometry"]), shapely.to_wkb(b["geometry"])
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.gpkg"]


def test_another_seed_changes_the_estimates_only(tmp_path: Path, demo_store: Path) -> None:
    summary = build_demo(DEFAULT_RAW_DIR, tmp_path / "other.gpkg", seed=7)
    first, other = open_store(demo_store), open_store(summary.path)
    streets_a, streets_b = first.read("streets"), other.read("streets")
    assert streets_a.geometry.equals(streets_b.geometry)  # real polygons stay as published
    assert not streets_a["population"].equals(streets_b["population"])
    shelters_a, shelters_b = first.read("shelters"), other.read("shelters")
    assert shelters_a.geometry.equals(shelters_b.geometry)
    assert not shelters_a["effective_area_m2"].equals(shelters_b["effective_area_m2"])


def _raw_copy(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    for item in DEFAULT_RAW_DIR.iterdir():
        (raw / item.name).symlink_to(item)
    return raw


def test_failed_build_leaves_nothing_at_out(tmp_path: Path) -> None:
    raw = _raw_copy(tmp_path)
    (raw / "shelters").unlink()
    out = tmp_path / "out" / "demo.gpkg"
    with pytest.raises(LayerReadError, match=r"beijing_shelters_gcj02\.csv"):
        build_demo(raw, out)
    assert list(out.parent.iterdir()) == []


def test_street_names_must_join_to_codes(tmp_path: Path) -> None:
    raw = _raw_copy(tmp_path)
    (raw / "division_codes").unlink()
    shutil.copytree(DEFAULT_RAW_DIR / "division_codes", raw / "division_codes")
    path = raw / "division_codes" / "beijing_streets_2023.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("景山街道", "景山"), "utf-8")
    with pytest.raises(LayerReadError, match="景山"):
        build_demo(raw, tmp_path / "demo.gpkg")
    assert not (tmp_path / "demo.gpkg").exists()


def test_ensure_demo_keeps_an_existing_store(demo_store: Path) -> None:
    before = demo_store.stat().st_mtime_ns
    assert ensure_demo(demo_store) == demo_store
    assert demo_store.stat().st_mtime_ns == before
