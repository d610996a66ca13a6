"""The validation report of any zone plan, including one drawn by hand and imported from a
file: units unassigned or assigned twice, unknown ids, stations over or under their band,
fragmented zones, homes outside their zone, zones crossing street boundaries, broken locks,
and the longest and mean walk in every zone.

A unit of a street with no station has to cross into another street's zone: when the problem
hosts orphan streets (``orphan_streets="adjacent"``, the default) and the unit can reach a
street with stations, such a crossing is counted apart (``hosted_units``,
:attr:`ZoneReport.hosting`) and is not an error, whichever neighbouring zone took it (the zone
must still be contiguous); every other crossing is (``crossing_units``,
:attr:`ZoneReport.crossing`) unless crossing is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from geo.zones._arrays import sums
from geo.zones.problem import ZoneProblem

if TYPE_CHECKING:
    from geo.zones.plan import ZonePlan

__all__ = ["ZoneReport", "pair_pieces", "validate_plan"]

IntArray = NDArray[np.intp]
_EPS = 1e-9


@dataclass(frozen=True)
class ZoneReport:
    """What is wrong (or right) with a plan.

    Attributes
    ----------
    stations
        One row per station: ``station_id``, ``street``, ``capacity``, ``lower``, ``upper``,
        ``workload``, ``n_units``, ``band`` (``ok``/``over``/``under``), ``pieces`` (connected
        pieces of the zone; 1 is contiguous), ``home_inside`` (the station's own unit is in
        its zone; always true for a station sharing its unit with an earlier one),
        ``crossing_units`` (units of another street, not counting hosted ones),
        ``hosted_units`` (units of streets with no station that this zone hosts),
        ``longest_walk_m``, ``mean_walk_m`` (workload-weighted), ``estimated_walks``.
    unassigned, unknown_units, unknown_stations, broken_locks
        Ids of units with no station, ids in the table that the problem does not know, and
        locked units not at their station.
    duplicated
        ``{unit_id: [station ids]}`` for units assigned more than once.
    cross_street_allowed
        Whether crossings are allowed (then they are reported but not errors).
    """

    stations: pd.DataFrame
    unassigned: list[Any] = field(default_factory=list)
    duplicated: dict[Any, list[Any]] = field(default_factory=dict)
    unknown_units: list[Any] = field(default_factory=list)
    unknown_stations: list[Any] = field(default_factory=list)
    broken_locks: list[Any] = field(default_factory=list)
    cross_street_allowed: bool = False

    def _ids(self, mask: pd.Series) -> list[Any]:
        return self.stations.loc[mask, "station_id"].tolist()

    @property
    def overloaded(self) -> list[Any]:
        return self._ids(self.stations["band"] == "over")

    @property
    def underloaded(self) -> list[Any]:
        return self._ids(self.stations["band"] == "under")

    @property
    def fragmented(self) -> list[Any]:
        return self._ids(self.stations["pieces"] > 1)

    @property
    def crossing(self) -> list[Any]:
        return self._ids(self.stations["crossing_units"] > 0)

    @property
    def hosting(self) -> list[Any]:
        """Stations whose zone hosts units of a street with no station (not an error)."""
        return self._ids(self.stations["hosted_units"] > 0)

    @property
    def homes_outside(self) -> list[Any]:
        return self._ids(~self.stations["home_inside"])

    @property
    def ok(self) -> bool:
        """No assignment error, every band met, every zone contiguous with its home inside,
        locks kept, and no street crossing unless allowed."""
        return not (
            self.unassigned
            or self.duplicated
            or self.unknown_units
            or self.unknown_stations
            or self.broken_locks
            or self.overloaded
            or self.underloaded
            or self.fragmented
            or self.homes_outside
            or (self.crossing and not self.cross_street_allowed)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (station table as records)."""
        table = self.stations.astype(object).where(self.stations.notna(), None)
        return {
            "ok": self.ok,
            "unassigned": [str(u) for u in self.unassigned],
            "duplicated": {str(k): [str(s) for s in v] for k, v in self.duplicated.items()},
            "unknown_units": [str(u) for u in self.unknown_units],
            "unknown_stations": [str(s) for s in self.unknown_stations],
            "broken_locks": [str(u) for u in self.broken_locks],
            "overloaded": [str(s) for s in self.overloaded],
            "underloaded": [str(s) for s in self.underloaded],
            "fragmented": [str(s) for s in self.fragmented],
            "homes_outside": [str(s) for s in self.homes_outside],
            "crossing": [str(s) for s in self.crossing],
            "hosting": [str(s) for s in self.hosting],
            "cross_street_allowed": self.cross_street_allowed,
            "stations": table.to_dict(orient="records"),
        }


def pair_pieces(problem: ZoneProblem, ui: IntArray, sj: IntArray) -> IntArray:
    """Number of connected pieces of every station's zone, given assignment pairs
    ``(unit, station)`` (a unit may appear under several stations)."""
    m = problem.n_stations
    key = ui.astype(np.int64) * m + sj
    order = np.argsort(key, kind="stable")
    skey = key[order]
    ea, eb = problem.edges
    ind = sp.csr_array(
        (np.ones(ui.size, dtype=bool), (ui, np.arange(ui.size))), shape=(problem.n_units, ui.size)
    )
    # pairs of the same station on adjacent units: join each edge with the pairs at both ends
    src = ind[ea].tocoo()
    left, right = src.col, eb[src.row]
    q = right.astype(np.int64) * m + sj[left]
    pos = np.minimum(np.searchsorted(skey, q), max(skey.size - 1, 0))
    hit = skey[pos] == q if skey.size else np.zeros(q.size, dtype=bool)
    g = sp.csr_array(
        (np.ones(int(hit.sum())), (left[hit], order[pos[hit]])), shape=(ui.size, ui.size)
    )
    labels = connected_components(g, directed=False)[1]
    pairs = np.unique(sj.astype(np.int64) * (ui.size + 1) + labels)
    return np.bincount((pairs // (ui.size + 1)).astype(np.intp), minlength=m)


def _read(
    problem: ZoneProblem, assignment: ZonePlan | pd.DataFrame, unit_col: str, station_col: str
) -> tuple[IntArray, IntArray, list[Any], list[Any]]:
    if isinstance(assignment, pd.DataFrame):
        table = assignment
    else:
        table = assignment.assignment_table()
        unit_col, station_col = "unit_id", "station_id"
    missing = [c for c in (unit_col, station_col) if c not in table.columns]
    if missing:
        from geo._errors import AnalysisError

        msg = f"assignment table lacks columns {missing} / 分配表缺少字段 {missing}"
        raise AnalysisError(msg)
    table = table[table[station_col].notna()]
    ui = problem.unit_index(table[unit_col].to_numpy(dtype=object))
    sj = problem.station_index(table[station_col].to_numpy(dtype=object))
    unknown_u = sorted({str(x) for x in table[unit_col][ui < 0]})
    unknown_s = sorted({str(x) for x in table[station_col][sj < 0]})
    ok = (ui >= 0) & (sj >= 0)
    return ui[ok].astype(np.intp), sj[ok].astype(np.intp), unknown_u, unknown_s


def validate_plan(
    problem: ZoneProblem,
    assignment: ZonePlan | pd.DataFrame,
    *,
    unit_col: str = "unit_id",
    station_col: str = "station_id",
    locks: IntArray | None = None,
) -> ZoneReport:
    """Check a plan against ``problem``.

    Parameters
    ----------
    problem
        The zoning problem (units, stations, band, adjacency, streets, costs).
    assignment
        A :class:`~geo.zones.plan.ZonePlan`, or a table with one row per (unit, station)
        assignment, e.g. drawn by hand and read from CSV/XLSX; rows with no station count as
        unassigned.
    unit_col, station_col
        Column names of the table.
    locks
        (n,) station index each unit is locked to (default: the plan's locks, else the
        problem's).

    Returns
    -------
    ZoneReport
    """
    ui, sj, unknown_u, unknown_s = _read(problem, assignment, unit_col, station_col)
    if locks is None:
        locks = getattr(assignment, "locks", problem.locks)
    pairs = np.unique(ui.astype(np.int64) * problem.n_stations + sj)
    ui = (pairs // problem.n_stations).astype(np.intp)
    sj = (pairs % problem.n_stations).astype(np.intp)
    count = np.bincount(ui, minlength=problem.n_units)
    uid, sid = problem.unit_ids, problem.station_ids
    dup = np.flatnonzero(count > 1)
    duplicated = {uid[u]: sid[sj[ui == u]].tolist() for u in dup}
    lk = np.flatnonzero(locks >= 0)
    held = np.isin(lk.astype(np.int64) * problem.n_stations + locks[lk], pairs)
    return ZoneReport(
        stations=_station_table(problem.with_locks(locks), ui, sj),
        unassigned=uid[count == 0].tolist(),
        duplicated=duplicated,
        unknown_units=unknown_u,
        unknown_stations=unknown_s,
        broken_locks=uid[lk[~held]].tolist(),
        cross_street_allowed=problem.allow_cross_street,
    )


def _station_table(problem: ZoneProblem, ui: IntArray, sj: IntArray) -> pd.DataFrame:
    m = problem.n_stations
    w = problem.workload[ui]
    load = sums(sj, w, m)
    walk, known = problem.distance(ui, sj)
    longest = np.full(m, np.nan)
    if ui.size:
        np.fmax.at(longest, sj, walk)
    wsum = sums(sj, w, m)
    mean = np.divide(sums(sj, w * walk, m), wsum, out=np.full(m, np.nan), where=wsum > 0)
    cross = problem.unit_street[ui] != problem.station_street[sj]
    hosting = problem.allow_cross_street or problem.orphan_streets == "adjacent"
    hosted = cross & problem.unit_orphan[ui] & (problem.unit_host[ui] >= 0) & hosting
    home_key = problem.home.astype(np.int64) * m + np.arange(m)
    home_inside = np.isin(home_key, ui.astype(np.int64) * m + sj) | (problem.seed < 0)
    band = np.where(
        load > problem.upper + _EPS, "over", np.where(load < problem.lower - _EPS, "under", "ok")
    )
    return pd.DataFrame(
        {
            "station_id": problem.station_ids,
            "street": problem.street_names[problem.station_street],
            "capacity": problem.capacity,
            "lower": problem.lower,
            "upper": problem.upper,
            "workload": load,
            "n_units": np.bincount(sj, minlength=m),
            "band": band,
            "pieces": pair_pieces(problem, ui, sj),
            "home_inside": home_inside,
            "crossing_units": sums(sj, cross & ~hosted, m).astype(int),
            "hosted_units": sums(sj, hosted, m).astype(int),
            "longest_walk_m": longest,
            "mean_walk_m": mean,
            "estimated_walks": sums(sj, ~known, m).astype(int),
        }
    )
