"""The responsibility-zone problem (责任片区): built once, solved by :mod:`geo.zones.solve`.

Every demand unit (community, block or point) goes to exactly one station; a station's
workload (sum of its units' workload, default basic-service recipients) stays within a band
of its capacity; zones are contiguous on the units' adjacency and contain the station's own
unit (its *home*, the seed of the zone); zones stay inside one street unless crossing is
allowed (at ``cross_penalty_m`` extra metres per unit of workload); locked units keep their
station. The objective is the workload-weighted walking distance.

The units of a street with no station (an *orphan* street) join a zone of an adjacent street,
their *host* (:mod:`geo.zones._hosts`), contiguously and at the crossing penalty, unless
``orphan_streets="refuse"``; units with no reachable host cannot be assigned.

Pairs absent from the cost matrix (beyond its cutoff, or not among a unit's k nearest) are
*estimated* when the solver needs them: ``max(euclidean × detour, the row's largest known
cost, the cutoff)`` when coordinates are known, else twice the largest known cost.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from geo._errors import AnalysisError, EmptyInputError
from geo.costs import CostMatrix
from geo.zones import _inputs
from geo.zones._hosts import unit_hosts
from geo.zones._inputs import Band, band_limits
from geo.zones.adjacency import adjacency_edges

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["Band", "OrphanStreets", "ZoneProblem", "band_limits"]

#: what happens to the units of a street with no station: join an adjacent street's zone
#: (``"adjacent"``) or stay unassigned and make the problem infeasible (``"refuse"``)
OrphanStreets = Literal["adjacent", "refuse"]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass(frozen=True, eq=False)
class ZoneProblem:
    """A zoning problem on ``n`` units and ``m`` stations (build with :meth:`from_cost_matrix`).

    Attributes
    ----------
    costs
        Walking distances (m) from units (rows) to stations (columns).
    workload, capacity
        (n,) workload per unit and (m,) capacity per station.
    lower, upper
        (m,) the band: the workload each station must carry.
    adjacency
        (n, n) symmetric boolean CSR: which units touch.
    unit_street, station_street, street_names
        Street of every unit and station as codes into ``street_names`` (all 0 if no street).
    home
        (m,) the unit containing (or nearest) each station; ``seed`` is the same with ``-1``
        for a station that shares its home with an earlier one or whose home is locked to
        another station (such a zone must be connected, but need not contain the home).
    locks
        (n,) station index a unit is locked to, or ``-1``.
    orphan_streets
        ``"adjacent"``: units of streets with no station join their host street
        (:attr:`unit_host`); ``"refuse"``: they have no station they may join.
    """

    costs: CostMatrix
    workload: FloatArray
    capacity: FloatArray
    lower: FloatArray
    upper: FloatArray
    adjacency: sp.csr_array
    unit_street: IntArray
    station_street: IntArray
    street_names: NDArray[np.object_]
    home: IntArray
    seed: IntArray
    locks: IntArray
    allow_cross_street: bool = False
    cross_penalty_m: float = 500.0
    unit_xy: FloatArray | None = None
    station_xy: FloatArray | None = None
    detour: float = 1.0
    unit_geometry: gpd.GeoSeries | None = None
    station_geometry: gpd.GeoSeries | None = None
    orphan_streets: OrphanStreets = "adjacent"

    @property
    def unit_ids(self) -> NDArray[np.object_]:
        return self.costs.demand_ids

    @property
    def station_ids(self) -> NDArray[np.object_]:
        return self.costs.facility_ids

    @property
    def n_units(self) -> int:
        return len(self.workload)

    @property
    def n_stations(self) -> int:
        return len(self.capacity)

    @classmethod
    def from_cost_matrix(
        cls,
        costs: CostMatrix,
        *,
        workload: ArrayLike,
        capacity: ArrayLike,
        adjacency: sp.csr_array | sp.spmatrix,
        street: ArrayLike | None = None,
        locks: Mapping[Hashable, Hashable] | None = None,
        band: Band = 0.15,
        allow_cross_street: bool = False,
        cross_penalty_m: float = 500.0,
        homes: ArrayLike | None = None,
        unit_xy: ArrayLike | None = None,
        station_xy: ArrayLike | None = None,
        detour: float | None = None,
        unit_geometry: gpd.GeoSeries | None = None,
        station_geometry: gpd.GeoSeries | None = None,
        orphan_streets: OrphanStreets = "adjacent",
    ) -> ZoneProblem:
        """Build a problem from a cost matrix (the core constructor).

        Parameters
        ----------
        costs
            Distances (m) from units (rows) to stations (columns); its ids name them.
        workload, capacity
            Workload per unit (n,) and capacity per station (m,), non-negative.
        adjacency
            (n, n) symmetric boolean matrix (:mod:`geo.zones.adjacency`).
        street
            Street (街道) of every unit (n,), any hashable labels; ``None``: one street.
        locks
            ``{unit_id: station_id}`` assignments that must be kept.
        band
            Allowed deviation of workload from capacity: ``0.15`` is ±15 %; a pair
            ``(lo, hi)`` gives ``[(1 - lo)·capacity, (1 + hi)·capacity]``.
        allow_cross_street, cross_penalty_m
            Whether a zone may take units from another street, and the extra metres of
            walking charged per unit of workload when it does.
        homes
            Unit id containing each station (m,); default the unit with the smallest cost to
            the station (nearest unit by coordinates when its column is empty).
        unit_xy, station_xy
            Projected coordinates (m) used to estimate pairs missing from ``costs``.
        detour
            Factor on straight-line distance for such estimates; default 1.0 for a Euclidean
            matrix and 1.3 for a network one.
        unit_geometry, station_geometry
            Geometries kept for drawing plans (``ZonePlan.zones_gdf``, ``explore``).
        orphan_streets
            Units of a street with no station join a zone of an adjacent street
            (``"adjacent"``, at the crossing penalty) or are refused (``"refuse"``).

        Returns
        -------
        ZoneProblem
        """
        n, m = costs.shape
        if n == 0 or m == 0:
            raise EmptyInputError("no units or no stations / 没有单元或没有驿站")
        w = _inputs.vector(workload, n, "workload")
        cap = _inputs.vector(capacity, m, "capacity")
        lo, hi = band_limits(band)
        if orphan_streets not in ("adjacent", "refuse"):
            msg = f"bad orphan_streets {orphan_streets!r} / 无驿站街道处理方式无效"
            raise AnalysisError(msg)
        adj = sp.csr_array(adjacency, dtype=bool)
        if adj.shape != (n, n):
            msg = f"adjacency shape {adj.shape} does not match {n} units / 邻接矩阵与单元数不符"
            raise AnalysisError(msg)
        uxy = None if unit_xy is None else np.asarray(unit_xy, dtype=float).reshape(n, 2)
        sxy = None if station_xy is None else np.asarray(station_xy, dtype=float).reshape(m, 2)
        home = _inputs.homes(costs, homes, uxy, sxy)
        names, ustreet = (
            (np.array([""], dtype=object), np.zeros(n, dtype=np.intp))
            if street is None
            else _inputs.street_codes(street, n)
        )
        lock_arr = _inputs.lock_array(costs, locks)
        return cls(
            costs=costs,
            workload=w,
            capacity=cap,
            lower=cap * (1 - lo),
            upper=cap * (1 + hi),
            adjacency=adj,
            unit_street=ustreet,
            station_street=ustreet[home],
            street_names=names,
            home=home,
            seed=_inputs.seeds(home, lock_arr),
            locks=lock_arr,
            allow_cross_street=allow_cross_street,
            cross_penalty_m=float(cross_penalty_m),
            unit_xy=uxy,
            station_xy=sxy,
            detour=float(
                detour if detour is not None else (1.0 if costs.mode == "euclidean" else 1.3)
            ),
            unit_geometry=unit_geometry,
            station_geometry=station_geometry,
            orphan_streets=orphan_streets,
        )

    @classmethod
    def from_geodataframes(
        cls, units: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, **kwargs: Any
    ) -> ZoneProblem:
        """Build from unit and station frames (the thin adapter over :meth:`from_cost_matrix`).

        Keywords (see :func:`geo.zones._frames.problem_from_frames`): column names
        ``workload="basic_recipients"``, ``capacity="capacity_persons"``,
        ``street="street_code"``, ``unit_id="code"``, ``station_id="station_id"``; distances
        ``costs`` (a :class:`~geo.costs.CostMatrix`) or ``network`` + ``cutoff_m`` + ``k``
        (default: straight line to the 16 nearest stations and the 16 nearest of the unit's
        street); adjacency ``contiguity``, ``tolerance_m``, ``max_edge_m``; and ``locks``,
        ``band``, ``allow_cross_street``, ``cross_penalty_m``, ``orphan_streets`` as in
        :meth:`from_cost_matrix`.
        """
        from geo.zones._frames import problem_from_frames

        return problem_from_frames(units, stations, **kwargs)

    def with_locks(self, locks: IntArray) -> ZoneProblem:
        """The same problem with another lock array ((n,) station index or -1)."""
        lk = np.asarray(locks, dtype=np.intp)
        return replace(self, locks=lk, seed=_inputs.seeds(self.home, lk))

    def unit_index(self, ids: ArrayLike) -> IntArray:
        """Positions of unit ids (``-1`` for unknown ids)."""
        return pd.Index(self.unit_ids).get_indexer(
            pd.Index(np.atleast_1d(np.asarray(ids, dtype=object)))
        )

    def station_index(self, ids: ArrayLike) -> IntArray:
        """Positions of station ids (``-1`` for unknown ids)."""
        return pd.Index(self.station_ids).get_indexer(
            pd.Index(np.atleast_1d(np.asarray(ids, dtype=object)))
        )

    @cached_property
    def edges(self) -> tuple[IntArray, IntArray]:
        """Undirected adjacency edges ``(a, b)``, ``a < b``, sorted."""
        return adjacency_edges(self.adjacency)

    @cached_property
    def unit_orphan(self) -> NDArray[np.bool_]:
        """(n,) whether each unit lies in a street with no station."""
        has = np.zeros(self.street_names.size, dtype=bool)
        has[self.station_street] = True
        return ~has[self.unit_street]

    @cached_property
    def unit_host(self) -> IntArray:
        """(n,) street (code) whose stations each unit may join: its own street, the host
        street of an orphan street (:mod:`geo.zones._hosts`; none when
        ``orphan_streets="refuse"``), ``-1`` for units with no reachable host."""
        if self.orphan_streets == "refuse" or not self.unit_orphan.any():
            return np.where(self.unit_orphan, -1, self.unit_street).astype(np.intp)
        return unit_hosts(
            self.unit_street,
            self.station_street,
            self.edges,
            workload=self.workload,
            upper=self.upper,
            n_streets=self.street_names.size,
        )

    @cached_property
    def _keys(self) -> NDArray[np.int64]:
        mat = self.costs.matrix
        rows = np.repeat(np.arange(mat.shape[0], dtype=np.int64), np.diff(mat.indptr))
        keys = rows * self.n_stations + mat.indices.astype(np.int64)
        return keys

    @cached_property
    def _key_order(self) -> IntArray:
        return np.argsort(self._keys, kind="stable")

    @cached_property
    def _row_max(self) -> FloatArray:
        mat = self.costs.matrix
        out = np.zeros(self.n_units)
        nz = np.diff(mat.indptr) > 0
        if mat.data.size:
            out[nz] = np.maximum.reduceat(mat.data, mat.indptr[:-1][nz])
        return out

    def distance(self, rows: ArrayLike, cols: ArrayLike) -> tuple[FloatArray, NDArray[np.bool_]]:
        """Walking distance (m) of unit/station pairs and whether each came from the matrix
        (``True``) or was estimated (``False``)."""
        r = np.asarray(rows, dtype=np.int64)
        c = np.asarray(cols, dtype=np.int64)
        q = r * self.n_stations + c
        keys = self._keys[self._key_order]
        pos = np.minimum(np.searchsorted(keys, q), max(keys.size - 1, 0))
        known = keys[pos] == q if keys.size else np.zeros(q.shape, dtype=bool)
        out = np.empty(q.shape, dtype=float)
        out[known] = self.costs.matrix.data[self._key_order[pos[known]]]
        if (~known).any():
            out[~known] = self._estimate(r[~known], c[~known])
        return out, known

    def _estimate(self, r: NDArray[np.int64], c: NDArray[np.int64]) -> FloatArray:
        cutoff = self.costs.cutoff_m if np.isfinite(self.costs.cutoff_m) else 0.0
        if self.unit_xy is None or self.station_xy is None:
            top = self.costs.matrix.data.max() if self.costs.matrix.data.size else 1000.0
            return np.full(r.shape, 2.0 * max(float(top), cutoff))
        straight = np.hypot(*(self.unit_xy[r] - self.station_xy[c]).T) * self.detour
        return np.maximum(np.maximum(straight, self._row_max[r]), cutoff)

    def allowed(self, rows: ArrayLike, cols: ArrayLike) -> NDArray[np.bool_]:
        """Whether each unit may join each station (same street, or the host street of an
        orphan street's unit, crossing allowed, or locked)."""
        r, c = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
        ok = self.unit_host[r] == self.station_street[c]
        if self.allow_cross_street:
            ok = np.ones(r.shape, dtype=bool)
        return ok | (self.locks[r] == c)

    def objective(self, rows: ArrayLike, cols: ArrayLike) -> FloatArray:
        """Objective coefficient of pairs: workload × (distance + crossing penalty)."""
        r, c = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
        d, _ = self.distance(r, c)
        cross = self.unit_street[r] != self.station_street[c]
        return self.workload[r] * (d + self.cross_penalty_m * cross)
