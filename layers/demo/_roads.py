"""The OSM-derived walking graph, clipped to the demo districts' bounding box plus a margin."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from layers.demo._common import MEASURE_CRS, STORE_CRS, tag

__all__ = ["MARGIN_M", "ROADS_SOURCE", "build_roads", "road_segments"]

MARGIN_M = 1_000.0
ROADS_SOURCE = "© OpenStreetMap contributors, ODbL 1.0 (SparseTaxi)"


def road_segments(edges: pd.DataFrame) -> pd.DataFrame:
    """One row per road segment: the graph's directed edges with two-way twins (and
    repeated parallel chords) kept once, ``oneway = -1`` turned into ``oneway`` along
    ``u → v``. The index is the edge's row number in ``edges``.

    Parameters
    ----------
    edges
        ``u, v, …, highway, oneway, name``, each two-way street present in both directions.
    """
    flag = edges["oneway"].fillna(0).to_numpy()
    backwards = flag == -1
    u = np.where(backwards, edges["v"], edges["u"])
    v = np.where(backwards, edges["u"], edges["v"])
    two_way = flag == 0
    key = pd.DataFrame(
        {
            "a": np.where(two_way, np.minimum(u, v), u),
            "b": np.where(two_way, np.maximum(u, v), v),
            "two_way": two_way,
            "highway": edges["highway"].fillna("").to_numpy(),
            "name": edges["name"].fillna("").to_numpy(),
            "reversed": two_way & (u > v),
        },
        index=edges.index,
    )
    first = key.sort_values("reversed", kind="stable").drop_duplicates(
        ["a", "b", "two_way", "highway", "name"]
    )
    keep = np.zeros(len(edges), dtype=bool)
    keep[edges.index.get_indexer(first.index)] = True
    return pd.DataFrame(
        {
            "u": u[keep],
            "v": v[keep],
            "highway": edges["highway"].to_numpy()[keep],
            "oneway": ~two_way[keep],
            "name": edges["name"].to_numpy()[keep],
        },
        index=np.flatnonzero(keep),
    )


def build_roads(
    nodes: pd.DataFrame, edges: pd.DataFrame, districts: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Road segments (see :func:`road_segments`) of non-zero length whose two ends lie inside
    the districts' bounding box (in metres) grown by :data:`MARGIN_M`, as node-to-node
    LineStrings with lengths recomputed in metres.

    Parameters
    ----------
    nodes
        ``vid, osm_id, lon, lat`` (WGS84).
    edges
        ``u, v, orig_length, chord_m, highway, oneway, name``; the row number is the edge id.
    districts
        The districts layer (its extent is what is kept).
    """
    to_m = Transformer.from_crs(STORE_CRS, MEASURE_CRS, always_xy=True)
    x, y = to_m.transform(nodes["lon"].to_numpy(), nodes["lat"].to_numpy())
    x0, y0, x1, y1 = districts.to_crs(MEASURE_CRS).total_bounds
    inside = (x >= x0 - MARGIN_M) & (x <= x1 + MARGIN_M) & (y >= y0 - MARGIN_M)
    inside &= y <= y1 + MARGIN_M
    segments = road_segments(edges)
    position = pd.Series(np.arange(len(nodes)), index=nodes["vid"].to_numpy())
    ui = position.reindex(segments["u"].to_numpy()).to_numpy()
    vi = position.reindex(segments["v"].to_numpy()).to_numpy()
    known = ~(np.isnan(ui) | np.isnan(vi))
    ui, vi = np.where(known, ui, 0).astype(np.int64), np.where(known, vi, 0).astype(np.int64)
    moves = (x[ui] != x[vi]) | (y[ui] != y[vi])  # self-loops and stacked nodes: no line
    keep = known & inside[ui] & inside[vi] & moves
    ui, vi, kept = ui[keep], vi[keep], segments[keep]
    lon, lat = nodes["lon"].to_numpy(), nodes["lat"].to_numpy()
    ends = [np.column_stack([lon[i], lat[i]]) for i in (ui, vi)]
    frame = gpd.GeoDataFrame(
        {
            "edge_id": kept.index.to_numpy(),
            "u": kept["u"].to_numpy(),
            "v": kept["v"].to_numpy(),
            "highway": kept["highway"].to_numpy(),
            "oneway": kept["oneway"].to_numpy(),
            "name": kept["name"].where(kept["name"].notna(), None).to_numpy(),
            "length_m": np.hypot(x[ui] - x[vi], y[ui] - y[vi]),
        },
        geometry=shapely.linestrings(np.stack(ends, axis=1)),
        crs=STORE_CRS,
    )
    return tag(frame, source=ROADS_SOURCE, estimated=[])
