"""The parts of a network a build drops, with where they are and why they are cut off.

A part is *filtered* when the ways the walking filter removed would join it to the kept
network, *oneway* when one-way rules alone cut it off (it is joined ignoring direction),
and *isolated* otherwise. All steps are vectorised over nodes and segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from geo.network.graph import MAX_DROPPED_PARTS

__all__ = ["Filtered", "dropped_parts", "undirected_labels"]


@dataclass(frozen=True)
class Filtered:
    """Segments the walking filter removed whose ends are known nodes (node positions)."""

    u: NDArray[np.int64]
    v: NDArray[np.int64]
    highway: NDArray[np.object_]


def undirected_labels(n: int, u: NDArray[np.int64], v: NDArray[np.int64]) -> NDArray[np.int32]:
    """Connected-component label of each of ``n`` nodes, ignoring direction."""
    graph = csr_array((np.ones(len(u)), (u, v)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int32)


def dropped_parts(
    node_xy: NDArray[np.float64],
    label: NDArray[np.int64],
    big: int,
    seg_u: NDArray[np.int64],
    seg_len: NDArray[np.float64],
    *,
    walk_u: NDArray[np.int64],
    walk_v: NDArray[np.int64],
    filtered: Filtered,
) -> list[dict[str, Any]]:
    """The longest parts other than ``big``, described for the build report.

    Parameters
    ----------
    node_xy
        Coordinates of every node (network CRS).
    label
        Component of every node, ``-1`` for nodes on no segment.
    big
        The kept component's label.
    seg_u, seg_len
        First node and length of every walkable segment.
    walk_u, walk_v
        Both ends of every walkable segment (to find parts cut off by one-way rules).
    filtered
        The filtered segments (to find parts cut off by the walking filter).
    """
    part = label.copy()
    part[part == big] = -1
    on = np.flatnonzero(part >= 0)
    if len(on) == 0:
        return []
    nodes = pd.DataFrame({"part": part[on], "x": node_xy[on, 0], "y": node_xy[on, 1]})
    stats = nodes.groupby("part").agg(
        nodes=("x", "size"),
        x=("x", "mean"),
        y=("y", "mean"),
        xmin=("x", "min"),
        ymin=("y", "min"),
        xmax=("x", "max"),
        ymax=("y", "max"),
    )
    edge_part = part[seg_u]
    edges = pd.DataFrame({"part": edge_part, "length_m": seg_len})[edge_part >= 0]
    per_edge = edges.groupby("part")["length_m"].agg(["size", "sum"])
    stats["edges"] = per_edge["size"].reindex(stats.index, fill_value=0)
    stats["length_m"] = per_edge["sum"].reindex(stats.index, fill_value=0.0)
    stats = stats.sort_values(["length_m", "nodes"], ascending=False).head(MAX_DROPPED_PARTS)
    parts = stats.index.to_numpy()
    cause, classes = _causes(label, big, parts=parts, walk=(walk_u, walk_v), filtered=filtered)
    num = {c: stats[c].to_numpy(dtype=np.float64) for c in stats.columns}
    return [
        {
            "nodes": int(num["nodes"][i]),
            "edges": int(num["edges"][i]),
            "length_m": float(num["length_m"][i]),
            "x": float(num["x"][i]),
            "y": float(num["y"][i]),
            "bbox": [float(num[c][i]) for c in ("xmin", "ymin", "xmax", "ymax")],
            "cause": cause[i],
            "classes": classes[i],
        }
        for i in range(len(parts))
    ]


def _causes(
    label: NDArray[np.int64],
    big: int,
    *,
    parts: NDArray[np.int64],
    walk: tuple[NDArray[np.int64], NDArray[np.int64]],
    filtered: Filtered,
) -> tuple[list[str], list[list[str]]]:
    """Why each of ``parts`` is cut off, and the filtered classes that touch it."""
    n = len(label)
    walk_u, walk_v = walk
    in_big = np.flatnonzero(label == big)
    weak = undirected_labels(n, walk_u, walk_v)
    union = undirected_labels(
        n, np.concatenate([walk_u, filtered.u]), np.concatenate([walk_v, filtered.v])
    )
    first = _first_node(label, parts)
    big_weak, big_union = weak[in_big[0]], union[in_big[0]]
    cause = np.where(
        weak[first] == big_weak,
        "oneway",
        np.where(union[first] == big_union, "filtered", "isolated"),
    )
    ends = np.concatenate([filtered.u, filtered.v])
    touch = pd.DataFrame(
        {
            "part": label[ends],
            "highway": np.concatenate([filtered.highway, filtered.highway]).astype(str),
        }
    )
    touch = touch[touch["part"].isin(parts)].drop_duplicates()
    by_part = touch.groupby("part")["highway"].agg(sorted).to_dict()
    return [str(c) for c in cause], [list(by_part.get(p, [])) for p in parts]


def _first_node(label: NDArray[np.int64], parts: NDArray[np.int64]) -> NDArray[np.int64]:
    """One node of each part."""
    order = np.argsort(label, kind="stable")
    pos = np.searchsorted(label[order], parts)
    return order[pos]
