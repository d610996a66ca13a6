"""Read the raw public files of the demo (see ``data/README.md``) into plain frames."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from layers._errors import LayerReadError
from layers.demo._common import DISTRICTS, STORE_CRS

__all__ = [
    "read_community_codes",
    "read_district_codes",
    "read_network",
    "read_shelters",
    "read_street_polygons",
]

STREETS_SHP = Path("beijing_streets") / "beijing.shp"
CODES_DIR = Path("division_codes")
SHELTERS_CSV = Path("shelters") / "beijing_shelters_gcj02.csv"
NETWORK_DIR = Path("beijing_walk_network")


def _read_csv(path: Path, **kw: object) -> pd.DataFrame:
    if not path.exists():
        msg = f"demo raw file {path.name} is missing / 缺少示例原始数据文件 {path.name}"
        raise LayerReadError(msg)
    return pd.read_csv(path, **kw)  # type: ignore[call-overload]


def read_district_codes(raw_dir: Path) -> pd.DataFrame:
    """Beijing's 2023 district codes: columns ``code``, ``name``."""
    frame = _read_csv(raw_dir / CODES_DIR / "beijing_districts_2023.csv", dtype=str)
    return frame[["code", "name"]]


def read_community_codes(raw_dir: Path) -> pd.DataFrame:
    """The 2023 communities of the demo districts: ``code``, ``name``, ``street_code``, in
    code order."""
    frame = _read_csv(raw_dir / CODES_DIR / "beijing_communities_2023.csv", dtype=str)
    frame = frame[frame["areaCode"].isin(list(DISTRICTS))]
    frame = frame.rename(columns={"streetCode": "street_code"})
    return frame[["code", "name", "street_code"]].sort_values("code").reset_index(drop=True)


def read_street_polygons(raw_dir: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The demo streets joined to their official codes, and every other street of Beijing.

    Returns
    -------
    (streets, others)
        ``streets``: ``code``, ``name``, ``district_code``, geometry, in code order.
        ``others``: ``district_name``, geometry (the rest of Beijing, for neighbours).

    Raises
    ------
    LayerReadError
        When a street polygon of a demo district does not join 1:1 to a 2023 code.
    """
    path = raw_dir / STREETS_SHP
    if not path.exists():
        msg = f"demo raw file {path.name} is missing / 缺少示例原始数据文件 {path.name}"
        raise LayerReadError(msg)
    shp = gpd.read_file(path).to_crs(STORE_CRS)
    names = {name: code for code, (name, _) in DISTRICTS.items()}
    ours = shp["县"].isin(list(names))
    polys = shp[ours].assign(district_code=shp.loc[ours, "县"].map(names))
    codes = _read_csv(raw_dir / CODES_DIR / "beijing_streets_2023.csv", dtype=str)
    codes = codes[codes["areaCode"].isin(list(DISTRICTS))]
    joined = polys.merge(
        codes.rename(columns={"areaCode": "district_code"})[["code", "name", "district_code"]],
        left_on=["district_code", "乡"],
        right_on=["district_code", "name"],
        how="outer",
        indicator=True,
    )
    unmatched = joined[joined["_merge"] != "both"]
    if len(unmatched) or joined["code"].duplicated().any():
        bad = sorted(set(unmatched["乡"].dropna()) | set(unmatched["name"].dropna()))
        msg = (
            f"street names do not join 1:1 to the 2023 division codes: {bad} / "
            f"街道名称与2023年区划代码不能一一对应: {bad}"
        )
        raise LayerReadError(msg)
    streets = gpd.GeoDataFrame(
        joined[["code", "name", "district_code"]], geometry=joined.geometry.array, crs=STORE_CRS
    )
    others = gpd.GeoDataFrame(
        {"district_name": shp.loc[~ours, "县"].to_numpy()},
        geometry=shp.geometry[~ours].to_numpy(),
        crs=STORE_CRS,
    )
    return streets.sort_values("code").reset_index(drop=True), others


def read_shelters(raw_dir: Path) -> pd.DataFrame:
    """The shelter points as published: ``sid``, ``lon_gcj02``, ``lat_gcj02`` (GCJ-02)."""
    return _read_csv(raw_dir / SHELTERS_CSV, dtype={"sid": str})


def read_network(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The OSM-derived walking graph: ``nodes`` (``vid, osm_id, lon, lat``) and ``edges``
    (``u, v, orig_length, chord_m, highway, oneway, name``)."""
    nodes = _read_csv(raw_dir / NETWORK_DIR / "nodes.csv")
    edges = _read_csv(raw_dir / NETWORK_DIR / "edges.csv", dtype={"highway": str, "name": str})
    return nodes, edges
