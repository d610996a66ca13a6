"""The core of every network build: from segments with ids, polylines and tags to a
:class:`~geo.network.graph.Network`.

Every source (OSM XML, OSM PBF, a nodes/edges CSV pair, a road layer, plain arrays) is
read into :class:`RawEdges` and passes through :func:`assemble_network`: walking filter,
duplicate directions merged into one segment, the largest connected component kept (the
dropped parts reported), the CSR graph assembled. All steps are vectorised.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from geo._errors import NetworkError
from geo.network import _polyline
from geo.network._parts import Filtered, dropped_parts
from geo.network.filters import WALK_EXCLUDED_HIGHWAYS, walkable
from geo.network.graph import BuildReport, Network

__all__ = [
    "Progress",
    "RawEdges",
    "assemble_network",
    "csr_from_edges",
    "positions_of",
    "scaled",
]

#: a progress callback: ``progress(stage, fraction_done)``
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class RawEdges:
    """Segments as read from a source, in a projected CRS, before any filtering.

    ``oneway`` is 1 (walk ``u → v`` only), -1 (``v → u`` only) or 0 (both). Polylines
    are ``geom_xy[geom_offsets[i]:geom_offsets[i + 1]]``; they need not start at ``u``
    (reversed lines are turned round).
    """

    u_id: NDArray[np.int64]
    v_id: NDArray[np.int64]
    geom_offsets: NDArray[np.int64]
    geom_xy: NDArray[np.float64]
    highway: NDArray[np.object_]
    oneway: NDArray[np.int8]
    name: NDArray[np.object_]


def _say(progress: Progress | None, stage: str, fraction: float) -> None:
    if progress is not None:
        progress(stage, fraction)


def scaled(progress: Progress | None, start: float, end: float) -> Progress | None:
    """``progress`` for a step that spans ``start``-``end`` of a longer run."""
    if progress is None:
        return None
    outer = progress
    return lambda stage, fraction: outer(stage, start + (end - start) * fraction)


@dataclass(frozen=True)
class _Segments:
    """Segments between known nodes (node positions), with their polylines and tags."""

    u: NDArray[np.int64]
    v: NDArray[np.int64]
    offsets: NDArray[np.int64]
    xy: NDArray[np.float64]
    length: NDArray[np.float64]
    fwd: NDArray[np.bool_]
    bwd: NDArray[np.bool_]
    highway: NDArray[np.object_]
    name: NDArray[np.object_]

    def take(self, rows: NDArray[np.int64]) -> _Segments:
        offsets, xy = _polyline.gather(self.offsets, self.xy, rows)
        return _Segments(
            self.u[rows],
            self.v[rows],
            offsets,
            xy,
            self.length[rows],
            self.fwd[rows],
            self.bwd[rows],
            self.highway[rows],
            self.name[rows],
        )


def assemble_network(
    node_ids: NDArray[np.int64],
    node_xy: NDArray[np.float64],
    raw: RawEdges,
    *,
    crs: str,
    include_highways: Collection[str] | None = None,
    exclude_highways: Collection[str] = WALK_EXCLUDED_HIGHWAYS,
    respect_oneway: bool = False,
    source: str = "",
    progress: Progress | None = None,
) -> Network:
    """Filter, deduplicate and connect raw segments into a :class:`Network`.

    Parameters
    ----------
    node_ids, node_xy
        Every node's source id (unique) and projected coordinates.
    raw
        The segments.
    crs
        WKT (or any pyproj-readable string) of the projected CRS.
    include_highways, exclude_highways
        The walking filter (see :func:`geo.network.filters.walkable`).
    respect_oneway
        Keep one-way restrictions (pedestrians ignore them by default); the largest
        strongly connected component is then kept.
    source
        Name of the source, for the report.
    progress
        Called with ``(stage, fraction)`` as the build advances.

    Returns
    -------
    Network
    """
    _say(progress, "filter", 0.0)
    ok = walkable(raw.highway, include=include_highways, exclude=exclude_highways)
    filtered = pd.Series(np.asarray(raw.highway, dtype=object)[~ok]).fillna("").astype(str)
    segs, off = _segments(node_ids, node_xy, raw, ok)
    _say(progress, "merge", 0.3)
    not_loop = (segs.u != segs.v) | (segs.length > 0)
    rep, fwd, bwd = _merge_directions(
        segs.u, segs.v, length=segs.length, fwd=segs.fwd, bwd=segs.bwd, keep=not_loop
    )
    if not respect_oneway:
        fwd, bwd = np.ones_like(fwd), np.ones_like(bwd)
    segs = replace(segs.take(rep), fwd=fwd, bwd=bwd)
    _say(progress, "components", 0.6)
    label, big = _components(len(node_ids), segs, strong=respect_oneway)
    if big < 0:
        raise NetworkError("no walkable segments / 没有可步行的路段")
    net_nodes = np.flatnonzero(label == big)
    kept_edges = np.flatnonzero((label[segs.u] == big) & (label[segs.v] == big))
    dropped = _dropped(label, big, segs, kept_edges)
    dropped["dropped_parts"] = dropped_parts(
        node_xy, label, big, segs.u, segs.length, walk_u=segs.u, walk_v=segs.v, filtered=off
    )
    renumber = np.full(len(node_ids), -1, dtype=np.int64)
    renumber[net_nodes] = np.arange(len(net_nodes))
    segs = segs.take(kept_edges)
    u32, v32 = renumber[segs.u].astype(np.int32), renumber[segs.v].astype(np.int32)
    _say(progress, "graph", 0.8)
    indptr, indices, weights = csr_from_edges(
        len(net_nodes), u32, v32, length=segs.length, fwd=segs.fwd, bwd=segs.bwd
    )
    report = BuildReport(
        source=source,
        nodes=len(net_nodes),
        edges=len(u32),
        length_m=float(segs.length.sum()),
        ways=len(raw.u_id),
        filtered_ways=int((~ok).sum()),
        filtered_classes={str(k): int(c) for k, c in filtered.value_counts().items()},
        **dropped,
    )
    net = Network(
        crs=crs,
        node_xy=np.ascontiguousarray(node_xy[net_nodes], dtype=np.float64),
        node_ids=np.asarray(node_ids)[net_nodes].astype(np.int64),
        edge_u=u32,
        edge_v=v32,
        edge_length_m=segs.length,
        edge_forward=segs.fwd,
        edge_backward=segs.bwd,
        edge_highway=_strings(segs.highway),
        edge_name=_strings(segs.name),
        geom_offsets=segs.offsets,
        geom_xy=segs.xy,
        indptr=indptr,
        indices=indices,
        weights=weights,
        report=report,
    )
    _say(progress, "done", 1.0)
    return net


def _segments(
    node_ids: NDArray[np.int64], node_xy: NDArray[np.float64], raw: RawEdges, ok: NDArray[np.bool_]
) -> tuple[_Segments, Filtered]:
    """The walkable raw segments (``ok``) whose ends are known nodes and whose polylines
    have two vertices or more, oriented ``u → v``, with lengths and allowed directions;
    and the filtered-out segments between known nodes."""
    order = np.argsort(node_ids, kind="stable")
    sorted_ids = np.asarray(node_ids)[order]
    u = positions_of(sorted_ids, order, raw.u_id)
    v = positions_of(sorted_ids, order, raw.v_id)
    known = (u >= 0) & (v >= 0)
    off = np.flatnonzero(~ok & known)
    filtered = Filtered(u[off], v[off], np.asarray(raw.highway, dtype=object)[off])
    keep = np.flatnonzero(ok & known & (np.diff(raw.geom_offsets) >= 2))
    offsets, xy = _polyline.gather(raw.geom_offsets, raw.geom_xy, keep)
    u, v = u[keep], v[keep]
    xy = _orient(offsets, xy, node_xy, u, v)
    segs = _Segments(
        u,
        v,
        offsets,
        xy,
        _polyline.lengths(offsets, xy),
        np.asarray(raw.oneway[keep] >= 0),
        np.asarray(raw.oneway[keep] <= 0),
        np.asarray(raw.highway, dtype=object)[keep],
        np.asarray(raw.name, dtype=object)[keep],
    )
    return segs, filtered


def _strings(values: NDArray[np.object_]) -> NDArray[np.str_]:
    return pd.Series(values, dtype=object).fillna("").astype(str).to_numpy().astype(str)


def positions_of(
    sorted_ids: NDArray[np.int64], order: NDArray[np.int64], ids: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Positions of ``ids`` among values whose sorted form is ``sorted_ids`` (``order``
    sorts them), ``-1`` where absent."""
    pos = np.clip(np.searchsorted(sorted_ids, ids), 0, max(len(sorted_ids) - 1, 0))
    if len(sorted_ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    found = sorted_ids[pos] == ids
    return np.where(found, order[pos], -1).astype(np.int64)


def _orient(
    offsets: NDArray[np.int64],
    xy: NDArray[np.float64],
    node_xy: NDArray[np.float64],
    u: NDArray[np.int64],
    v: NDArray[np.int64],
) -> NDArray[np.float64]:
    """Turn round the polylines that run from ``v`` to ``u``."""
    first, last = xy[offsets[:-1]], xy[offsets[1:] - 1]
    d_uu = np.hypot(*(first - node_xy[u]).T) + np.hypot(*(last - node_xy[v]).T)
    d_uv = np.hypot(*(first - node_xy[v]).T) + np.hypot(*(last - node_xy[u]).T)
    return _polyline.reverse(offsets, xy, d_uv < d_uu)


def _merge_directions(
    u: NDArray[np.int64],
    v: NDArray[np.int64],
    *,
    length: NDArray[np.float64],
    fwd: NDArray[np.bool_],
    bwd: NDArray[np.bool_],
    keep: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_]]:
    """One segment per physical street: rows joining the same two nodes with the same
    length (to 1 cm) are one segment, walkable in the union of their directions.

    Returns the representative rows and their direction flags.
    """
    rows = np.flatnonzero(keep)
    a, b = np.minimum(u[rows], v[rows]), np.maximum(u[rows], v[rows])
    cm = np.round(length[rows] * 100).astype(np.int64)
    order = np.lexsort((rows, cm, b, a))
    a, b, cm, rows_sorted = a[order], b[order], cm[order], rows[order]
    new = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (cm[1:] != cm[:-1])]
    group = np.cumsum(new) - 1
    rep = rows_sorted[new]
    same = u[rows_sorted] == u[rep[group]]
    f = np.where(same, fwd[rows_sorted], bwd[rows_sorted])
    r = np.where(same, bwd[rows_sorted], fwd[rows_sorted])
    n = len(rep)
    rep_fwd = np.bincount(group, weights=f, minlength=n) > 0
    rep_bwd = np.bincount(group, weights=r, minlength=n) > 0
    back = np.argsort(rep, kind="stable")  # keep the source's order of segments
    return rep[back], rep_fwd[back], rep_bwd[back]


def _components(n: int, segs: _Segments, *, strong: bool) -> tuple[NDArray[np.int64], int]:
    """The connected component of every node (``-1`` off every segment) and the label of
    the largest (``-1`` if there is none); strongly connected when ``strong``."""
    rows = np.concatenate([segs.u[segs.fwd], segs.v[segs.bwd]])
    cols = np.concatenate([segs.v[segs.fwd], segs.u[segs.bwd]])
    graph = csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, labels = connected_components(
        graph, directed=True, connection="strong" if strong else "weak"
    )
    label = np.full(n, -1, dtype=np.int64)
    used = np.unique(np.concatenate([segs.u, segs.v]))
    label[used] = labels[used]
    if len(used) == 0:
        return label, -1
    sizes = np.bincount(label[used])
    return label, int(np.argmax(sizes))


def _dropped(
    label: NDArray[np.int64], big: int, segs: _Segments, kept_edges: NDArray[np.int64]
) -> dict[str, Any]:
    """What the parts other than the largest hold."""
    edge_in = np.zeros(len(segs.u), dtype=bool)
    edge_in[kept_edges] = True
    sizes = np.bincount(label[label >= 0])
    others = np.delete(sizes, big)
    others = others[others > 0]
    return {
        "dropped_components": len(others),
        "dropped_nodes": int(others.sum()),
        "dropped_edges": int((~edge_in).sum()),
        "dropped_length_m": float(segs.length[~edge_in].sum()),
        "largest_dropped_nodes": int(others.max()) if len(others) else 0,
    }


def csr_from_edges(
    n: int,
    u: NDArray[np.integer],
    v: NDArray[np.integer],
    *,
    length: NDArray[np.float64],
    fwd: NDArray[np.bool_],
    bwd: NDArray[np.bool_],
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
    """The directed CSR arrays ``(indptr, indices, weights)`` of segments: one entry per
    allowed direction, loops left out, the shortest of parallel entries kept."""
    rows = np.concatenate([u[fwd], v[bwd]]).astype(np.int64)
    cols = np.concatenate([v[fwd], u[bwd]]).astype(np.int64)
    w = np.concatenate([length[fwd], length[bwd]])
    keep = rows != cols
    rows, cols, w = rows[keep], cols[keep], w[keep]
    order = np.lexsort((w, cols, rows))
    rows, cols, w = rows[order], cols[order], w[order]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])]
    rows, cols, w = rows[first], cols[first], w[first]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int32)
    return indptr, cols.astype(np.int32), w.astype(np.float64)
