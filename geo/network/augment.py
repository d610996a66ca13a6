"""Facilities mid-segment, exactly: the network augmented with virtual nodes.

A facility snapped to the middle of a segment adds a *split* node there (several
facilities on one segment cut it into a chain); one snapped onto a segment end uses that
node. Its *anchor* (split or end node) is where it meets the network. If its access leg
(the snap distance) counts and is not zero, an *access* node joined to the anchor by that
length is added and the search starts there, so every distance includes the facility's
own access leg; otherwise the search starts at the anchor itself. A demand point on a cut
segment measures to the nearest cut (or segment end) on either side. The original segment
stays in the graph beside its chain (same total length), so the base rows are only
extended, never rewritten; when nothing is added the base graph is used as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from geo.network.graph import Network
from geo.snap import Snapped

__all__ = ["Augmented", "Located", "augment", "locate", "pieces_of"]

#: a facility closer than this to a segment end is placed on that node
_AT_END_M = 1e-6


@dataclass(frozen=True)
class Augmented:
    """The network plus virtual facility nodes.

    Attributes
    ----------
    graph
        CSR over the base nodes then the new ones; transposed when the network is
        directed (a search from the facilities then gives distances *to* them).
    n_base
        Nodes of the base network.
    facility
        Index (in the caller's facility list) of each snapped facility, in source order.
    source
        The node each facility's search starts from (several facilities may share one).
    split_edge, split_offset_m, split_node
        The cuts of mid-segment facilities, sorted by segment then offset.
    """

    graph: sp.csr_array
    n_base: int
    facility: NDArray[np.int64]
    source: NDArray[np.int64]
    split_edge: NDArray[np.int64]
    split_offset_m: NDArray[np.float64]
    split_node: NDArray[np.int64]

    def facility_of(self, nodes: NDArray[np.integer]) -> NDArray[np.int64]:
        """The facility whose search starts at each of ``nodes`` (-1 for other nodes,
        including scipy's -9999 for unreached)."""
        owner = np.full(self.graph.shape[0], -1, dtype=np.int64)
        owner[self.source[::-1]] = self.facility[::-1]  # the first facility of a shared node
        nodes = np.asarray(nodes)
        ok = (nodes >= 0) & (nodes < len(owner))
        return np.where(ok, owner[np.where(ok, nodes, 0)], -1)


def augment(network: Network, snapped: Snapped, *, add_access: bool = True) -> Augmented:
    """Add the snapped facilities (those with ``snapped.ok``) to the network.

    Parameters
    ----------
    network
        The base network.
    snapped
        The facilities snapped to ``network``.
    add_access
        Weight the access legs with the snap distances (else 0).
    """
    n = network.n_nodes
    fac = np.flatnonzero(snapped.ok)
    edge, off = snapped.edge[fac], snapped.offset_m[fac]
    length = network.edge_length_m[edge]
    at_u, at_v = off <= _AT_END_M, off >= length - _AT_END_M
    mid = ~(at_u | at_v)
    anchor = np.where(at_u, network.edge_u[edge], network.edge_v[edge]).astype(np.int64)
    access = snapped.snap_m[fac] if add_access else np.zeros(len(fac))
    if not mid.any() and not (access > 0).any() and not network.directed:
        none_i = np.zeros(0, dtype=np.int64)
        return Augmented(network.graph, n, fac, anchor, none_i, np.zeros(0), none_i)
    # cuts of the mid-segment facilities, sorted by (segment, offset)
    m_idx = np.flatnonzero(mid)
    order = np.lexsort((m_idx, off[m_idx], edge[m_idx]))
    cut = m_idx[order]
    anchor[cut] = n + np.arange(len(cut))
    edge_s, off_s, node_s = edge[cut], off[cut], anchor[cut]
    a, b, e, from_m, to_m = _chain(network, edge_s, off_s, node_s)
    w = to_m - from_m
    fwd, bwd = network.edge_forward[e], network.edge_backward[e]
    leg = np.flatnonzero(access > 0)
    source = anchor.copy()
    source[leg] = n + len(cut) + np.arange(len(leg))
    rows = np.concatenate([a[fwd], b[bwd], source[leg], anchor[leg]])
    cols = np.concatenate([b[fwd], a[bwd], anchor[leg], source[leg]])
    weights = np.concatenate([w[fwd], w[bwd], access[leg], access[leg]])
    if network.directed:
        rows, cols = cols, rows
    total = n + len(cut) + len(leg)
    return Augmented(
        graph=_insert(network, total, rows, cols, np.maximum(weights, 0.0)),
        n_base=n,
        facility=fac,
        source=source,
        split_edge=edge_s.astype(np.int64),
        split_offset_m=off_s,
        split_node=node_s,
    )


def _chain(
    network: Network,
    edge_s: NDArray[np.int64],
    off_s: NDArray[np.float64],
    node_s: NDArray[np.int64],
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.float64],
]:
    """The pieces of the cut segments: previous cut (or ``u``) → each cut, and the last
    cut → ``v``; as (from node, to node, segment, from offset, to offset)."""
    if len(edge_s) == 0:
        none_i, none_f = np.zeros(0, np.int64), np.zeros(0)
        return none_i, none_i, none_i, none_f, none_f
    same_prev = np.r_[False, edge_s[1:] == edge_s[:-1]]
    same_next = np.r_[edge_s[1:] == edge_s[:-1], False]
    prev_node = np.where(same_prev, np.r_[-1, node_s[:-1]], network.edge_u[edge_s])
    prev_off = np.where(same_prev, np.r_[0.0, off_s[:-1]], 0.0)
    last = ~same_next
    a = np.concatenate([prev_node, node_s[last]]).astype(np.int64)
    b = np.concatenate([node_s, network.edge_v[edge_s[last]]]).astype(np.int64)
    e = np.concatenate([edge_s, edge_s[last]]).astype(np.int64)
    from_m = np.concatenate([prev_off, off_s[last]])
    to_m = np.concatenate([off_s, network.edge_length_m[edge_s[last]]])
    return a, b, e, from_m, to_m


def pieces_of(
    network: Network, aug: Augmented
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.float64],
    NDArray[np.float64],
]:
    """Every street piece of the augmented network: uncut segments whole, cut segments
    as their chain; as (from node, to node, segment, from offset, to offset)."""
    cut = np.zeros(network.n_edges, dtype=bool)
    cut[aug.split_edge] = True
    whole = np.flatnonzero(~cut)
    a, b, e, from_m, to_m = _chain(network, aug.split_edge, aug.split_offset_m, aug.split_node)
    return (
        np.concatenate([network.edge_u[whole], a]).astype(np.int64),
        np.concatenate([network.edge_v[whole], b]).astype(np.int64),
        np.concatenate([whole, e]).astype(np.int64),
        np.concatenate([np.zeros(len(whole)), from_m]),
        np.concatenate([network.edge_length_m[whole], to_m]),
    )


def _insert(
    network: Network,
    total: int,
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    weights: NDArray[np.float64],
) -> sp.csr_array:
    """The base CSR (transposed if the network is directed) grown to ``total`` nodes with
    the extra entries appended to their rows: the base arrays copied once, in runs
    between the few rows that grow."""
    if network.directed:
        base = network.graph.T.tocsr()
        indptr, indices, data = base.indptr, base.indices, base.data
    else:
        indptr, indices, data = network.indptr, network.indices, network.weights
    n = len(indptr) - 1
    order = np.argsort(rows, kind="stable")
    rows, cols, weights = rows[order], cols[order].astype(np.int32), weights[order]
    counts = np.zeros(total, dtype=np.int64)
    counts[:n] = np.diff(indptr)
    counts += np.bincount(rows, minlength=total)
    new_indptr = np.zeros(total + 1, dtype=np.int64)
    np.cumsum(counts, out=new_indptr[1:])
    # each extra entry goes in after the base entries of its row (new rows: at the end)
    at = np.asarray(indptr, dtype=np.int64)[np.minimum(rows, n - 1) + 1]
    at = np.where(rows < n, at, len(indices))
    cut, first = np.unique(at, return_index=True)
    ends = np.r_[first[1:], len(rows)]
    starts = np.r_[0, cut]
    runs_i, runs_d = [], []
    for j, stop in enumerate(cut.tolist()):
        runs_i += [indices[starts[j] : stop], cols[first[j] : ends[j]]]
        runs_d += [data[starts[j] : stop], weights[first[j] : ends[j]]]
    runs_i.append(indices[starts[-1] :])
    runs_d.append(data[starts[-1] :])
    new_indices = np.concatenate(runs_i).astype(np.int32, copy=False)
    new_data = np.concatenate(runs_d).astype(np.float64, copy=False)
    return sp.csr_array((new_data, new_indices, new_indptr.astype(np.int32)), shape=(total, total))


@dataclass(frozen=True)
class Located:
    """Where demand points sit on the augmented network: between ``left`` and ``right``
    nodes, ``left_m`` / ``right_m`` from them, on a segment walkable towards the left
    (``to_left``) and/or the right (``to_right``). Only rows with ``ok`` are meaningful."""

    ok: NDArray[np.bool_]
    left: NDArray[np.int64]
    right: NDArray[np.int64]
    left_m: NDArray[np.float64]
    right_m: NDArray[np.float64]
    to_left: NDArray[np.bool_]
    to_right: NDArray[np.bool_]


def locate(network: Network, aug: Augmented, snapped: Snapped) -> Located:
    """Place snapped demand points between the nodes of the augmented network."""
    ok = snapped.ok
    e = np.where(ok, snapped.edge, 0)
    s = np.where(ok, snapped.offset_m, 0.0)
    left, right = network.edge_u[e].astype(np.int64), network.edge_v[e].astype(np.int64)
    left_off, right_off = np.zeros(len(e)), network.edge_length_m[e].copy()
    is_cut = np.zeros(network.n_edges, dtype=bool)
    is_cut[aug.split_edge] = True
    hit = ok & is_cut[e]
    if hit.any():
        q = np.flatnonzero(hit)
        m = len(aug.split_edge)
        all_edge = np.concatenate([aug.split_edge, e[q]])
        all_off = np.concatenate([aug.split_offset_m, s[q]])
        kind = np.r_[np.zeros(m, dtype=np.int8), np.ones(len(q), dtype=np.int8)]
        order = np.lexsort((kind, all_off, all_edge))
        marker = np.where(order < m, order, -1)
        before = np.maximum.accumulate(marker)  # last cut at or before each entry
        at = np.empty(len(order), dtype=np.int64)
        at[order] = np.arange(len(order))
        prev = before[at[m:]]
        nxt = prev + 1
        has_prev = (prev >= 0) & (aug.split_edge[np.maximum(prev, 0)] == e[q])
        has_next = (nxt < m) & (aug.split_edge[np.minimum(nxt, m - 1)] == e[q])
        pv, nx = np.maximum(prev, 0), np.minimum(nxt, m - 1)
        left[q] = np.where(has_prev, aug.split_node[pv], left[q])
        left_off[q] = np.where(has_prev, aug.split_offset_m[pv], left_off[q])
        right[q] = np.where(has_next, aug.split_node[nx], right[q])
        right_off[q] = np.where(has_next, aug.split_offset_m[nx], right_off[q])
    return Located(
        ok=ok,
        left=left,
        right=right,
        left_m=np.maximum(s - left_off, 0.0),
        right_m=np.maximum(right_off - s, 0.0),
        to_left=network.edge_backward[e] & ok,
        to_right=network.edge_forward[e] & ok,
    )
