"""Subproblems: the units and stations a solver works on, in local indices.

A problem splits into groups (streets with stations, each with the orphan streets it hosts,
or one group when zones may cross streets); a :class:`Sub` is one group or the union of
several (the solver repairs all large streets at once, the street rule keeping them apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo.zones.problem import ZoneProblem

__all__ = ["Sub", "split_groups"]

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Sub:
    """Units ``units`` and stations ``stations`` (global indices) of ``problem``.

    ``lock`` is the local station a unit is locked to (or -1), ``seed`` the local home unit
    of each station (or -1), ``ea``/``eb`` the local adjacency edges (``ea < eb``).
    """

    problem: ZoneProblem
    units: IntArray
    stations: IntArray
    lock: IntArray
    seed: IntArray
    ea: IntArray
    eb: IntArray

    @property
    def n(self) -> int:
        return int(self.units.size)

    @property
    def m(self) -> int:
        return int(self.stations.size)

    @cached_property
    def w(self) -> FloatArray:
        return self.problem.workload[self.units]

    @cached_property
    def lower(self) -> FloatArray:
        return self.problem.lower[self.stations]

    @cached_property
    def upper(self) -> FloatArray:
        return self.problem.upper[self.stations]

    @cached_property
    def fixed(self) -> IntArray:
        """Local station each unit must keep (locks and station homes), or -1."""
        out = self.lock.copy()
        has = self.seed >= 0
        out[self.seed[has]] = np.flatnonzero(has)
        return out

    def cost(self, li: IntArray, lj: IntArray) -> FloatArray:
        """Objective coefficient (workload × (walk + crossing penalty)) of local pairs."""
        return self.problem.objective(self.units[li], self.stations[lj])

    def allowed(self, li: IntArray, lj: IntArray) -> NDArray[np.bool_]:
        return self.problem.allowed(self.units[li], self.stations[lj])

    def candidates(self, k: int, *, k_min: int = 4) -> tuple[IntArray, IntArray]:
        """Local pairs ``(i, j)``: each unit's ``k`` cheapest allowed stations in the cost
        matrix, topped up with estimated pairs to reach ``k_min``, plus fixed pairs."""
        p = self.problem
        loc = np.full(p.n_stations, -1, dtype=np.intp)
        loc[self.stations] = np.arange(self.m)
        mat = p.costs.matrix[self.units]
        rows = np.repeat(np.arange(self.n), np.diff(mat.indptr))
        cols = loc[mat.indices]
        keep = cols >= 0
        rows, cols, dist = rows[keep], cols[keep], mat.data[keep]
        ok = self.allowed(rows, cols)
        rows, cols, dist = rows[ok], cols[ok], dist[ok]
        order = np.lexsort((cols, dist, rows))
        rows, cols = rows[order], cols[order]
        start = np.searchsorted(rows, np.arange(self.n))
        rank = np.arange(rows.size) - start[rows]
        rows, cols = rows[rank < k], cols[rank < k]
        count = np.bincount(rows, minlength=self.n)
        need = min(k_min, self.m)
        few = np.flatnonzero(count < need)
        extra_r, extra_c = self._nearest_allowed(few, need)
        fx = np.flatnonzero(self.fixed >= 0)
        r = np.concatenate([rows, extra_r, fx])
        c = np.concatenate([cols, extra_c, self.fixed[fx]])
        key = np.unique(r.astype(np.int64) * self.m + c)
        return (key // self.m).astype(np.intp), (key % self.m).astype(np.intp)

    def _nearest_allowed(self, few: IntArray, need: int) -> tuple[IntArray, IntArray]:
        """Pairs of each unit in ``few`` with its nearest allowed stations (by coordinates,
        among the stations of its host street unless zones may cross streets)."""
        if few.size == 0:
            return np.empty(0, np.intp), np.empty(0, np.intp)
        p = self.problem
        if p.unit_xy is None or p.station_xy is None:
            r = np.repeat(few, self.m)
            c = np.tile(np.arange(self.m, dtype=np.intp), few.size)
            ok = self.allowed(r, c)
            return r[ok], c[ok]
        if p.allow_cross_street:
            return self._nearest_of(few, np.arange(self.m, dtype=np.intp), need)
        host = p.unit_host[self.units[few]]
        street = p.station_street[self.stations]
        parts = [
            self._nearest_of(few[host == h], np.flatnonzero(street == h), need)
            for h in np.unique(host[host >= 0])
        ]
        if not parts:
            return np.empty(0, np.intp), np.empty(0, np.intp)
        return np.concatenate([r for r, _ in parts]), np.concatenate([c for _, c in parts])

    def _nearest_of(self, few: IntArray, local: IntArray, need: int) -> tuple[IntArray, IntArray]:
        """Pairs of each unit in ``few`` with its nearest stations among ``local``."""
        p = self.problem
        assert p.unit_xy is not None and p.station_xy is not None
        if local.size == 0 or few.size == 0:
            return np.empty(0, np.intp), np.empty(0, np.intp)
        kk = min(local.size, max(4 * need, 16))
        tree = cKDTree(p.station_xy[self.stations[local]])
        _, idx = tree.query(p.unit_xy[self.units[few]], k=kk)
        r = np.repeat(few, kk)
        c = local[np.asarray(idx).reshape(-1)].astype(np.intp)
        ok = self.allowed(r, c)
        return r[ok], c[ok]


def split_groups(problem: ZoneProblem) -> tuple[list[Sub], IntArray]:
    """Split ``problem`` into independent groups.

    Returns
    -------
    (groups, unresolved)
        One :class:`Sub` per street that has stations, with the units of the orphan streets
        it hosts (:attr:`ZoneProblem.unit_host`; one group for everything when zones may
        cross streets), sorted by street name; and the global indices of units no station
        may take (orphan units without a host).
    """
    p = problem
    n, m = p.n_units, p.n_stations
    if p.allow_cross_street:
        ugroup = np.zeros(n, dtype=np.intp)
        sgroup = np.zeros(m, dtype=np.intp)
    else:
        ugroup = p.unit_host.copy()
        locked = p.locks >= 0
        ugroup[locked] = p.station_street[p.locks[locked]]
        sgroup = p.station_street
    has_station = np.zeros(max(int(ugroup.max()), int(sgroup.max())) + 1, dtype=bool)
    has_station[sgroup] = True
    unresolved = np.flatnonzero((ugroup < 0) | ~has_station[np.maximum(ugroup, 0)])
    groups = [_group(p, ugroup, sgroup, int(g)) for g in np.flatnonzero(has_station)]
    return groups, unresolved


def union(problem: ZoneProblem, groups: list[Sub]) -> Sub:
    """One :class:`Sub` made of several groups (their units and stations side by side)."""
    units = np.concatenate([g.units for g in groups])
    stations = np.concatenate([g.stations for g in groups])
    return subset(problem, units, stations)


def subset(problem: ZoneProblem, units: IntArray, stations: IntArray) -> Sub:
    """The :class:`Sub` of the given global units and stations (locks to stations outside
    the subset are dropped: the caller keeps such units out)."""
    ugroup = np.full(problem.n_units, -1, dtype=np.intp)
    ugroup[units] = 0
    sgroup = np.full(problem.n_stations, -1, dtype=np.intp)
    sgroup[stations] = 0
    return _group(problem, ugroup, sgroup, 0)


def _group(p: ZoneProblem, ugroup: IntArray, sgroup: IntArray, g: int) -> Sub:
    units = np.flatnonzero(ugroup == g)
    stations = np.flatnonzero(sgroup == g)
    uloc = np.full(p.n_units, -1, dtype=np.intp)
    uloc[units] = np.arange(units.size)
    sloc = np.full(p.n_stations, -1, dtype=np.intp)
    sloc[stations] = np.arange(stations.size)
    lk = p.locks[units]
    lock = np.where(lk >= 0, sloc[np.maximum(lk, 0)], -1)
    sd = p.seed[stations]
    seed = np.where(sd >= 0, uloc[np.maximum(sd, 0)], -1)
    ea, eb = p.edges
    keep = (uloc[ea] >= 0) & (uloc[eb] >= 0)
    return Sub(
        p,
        units,
        stations,
        lock.astype(np.intp),
        seed.astype(np.intp),
        uloc[ea[keep]],
        uloc[eb[keep]],
    )
