"""Why an edit changed what it changed: every unit whose station changed, with the reason.

A hand move (:func:`geo.zones.move_units`) puts the moved units at their new stations, then
rebalances the touched zones and their neighbours. Comparing the plan before, the plan with
only the moves applied, and the plan after tells each change apart:

==============  =========================================================================
``requested``   the person moved this unit
``contiguity``  the moves split the unit's old zone and this unit was cut off from the
                zone's home (the station's own unit): it joined a zone it touches
``band``        the moves left its old or new station outside the workload band; the
                rebalance moved it to bring them back (or closer)
``rebalance``   moved by the rebalance for no band or contiguity reason of its own (shorter
                walks once other units moved)
==============  =========================================================================
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from geo.zones.plan import ZonePlan

__all__ = ["REASONS", "band_states", "explain_changes"]

REASONS = ("requested", "contiguity", "band", "rebalance")
_EPS = 1e-9


def band_states(plan: ZonePlan, assignment: NDArray[np.intp] | None = None) -> pd.DataFrame:
    """Per station: ``workload``, ``lower``, ``upper``, ``capacity`` and ``band``
    (``ok``/``over``/``under``) of ``assignment`` (default: the plan's)."""
    p = plan.problem
    z = plan.assignment if assignment is None else assignment
    mask = z >= 0
    load = np.bincount(z[mask], weights=p.workload[mask], minlength=p.n_stations)
    band = np.where(load > p.upper + _EPS, "over", np.where(load < p.lower - _EPS, "under", "ok"))
    return pd.DataFrame(
        {
            "station_id": p.station_ids,
            "capacity": p.capacity,
            "lower": p.lower,
            "upper": p.upper,
            "workload": load,
            "band": band,
        }
    )


def _cut_off(plan: ZonePlan, z: NDArray[np.intp], stations: NDArray[np.intp]) -> set[int]:
    """Units of the zones ``stations`` (under ``z``) not connected to their zone's home
    piece (the piece holding the station's own unit, else the heaviest piece)."""
    p = plan.problem
    out: set[int] = set()
    for j in stations:
        members = np.flatnonzero(z == j)
        if len(members) < 2:
            continue
        sub = p.adjacency[members][:, members]
        _, labels = connected_components(sub, directed=False)
        if labels.max() == 0:
            continue
        home = np.flatnonzero(members == p.home[j])
        if len(home):
            keep = labels[home[0]]
        else:
            keep = int(np.argmax(np.bincount(labels, weights=p.workload[members])))
        out.update(int(u) for u in members[labels != keep])
    return out


def explain_changes(
    before: ZonePlan, after: ZonePlan, moves: Mapping[Hashable, Hashable]
) -> pd.DataFrame:
    """Every unit whose station differs between ``before`` and ``after`` (plans of one
    problem), with ``from_station``, ``to_station`` and ``reason`` (see the module
    docstring); the requested moves first, then by unit id."""
    p = before.problem
    zb, za = before.assignment, after.assignment
    ui = p.unit_index(np.asarray(list(moves), dtype=object))
    sj = p.station_index(np.asarray(list(moves.values()), dtype=object))
    z0 = zb.copy()
    z0[ui] = sj  # only the moves, before the rebalance
    changed = np.flatnonzero(zb != za)
    old = np.unique(zb[ui][zb[ui] >= 0])
    cut = _cut_off(before, z0, old)
    states = band_states(before, z0)["band"].to_numpy()
    requested = set(ui.tolist())
    reasons = []
    for u in changed:
        a, b = zb[u], za[u]
        if u in requested:
            reasons.append("requested")
        elif u in cut:
            reasons.append("contiguity")
        elif (a >= 0 and states[a] != "ok") or (b >= 0 and states[b] != "ok"):
            reasons.append("band")
        else:
            reasons.append("rebalance")
    ids = np.asarray(p.station_ids, dtype=object)
    table = pd.DataFrame(
        {
            "unit_id": np.asarray(p.unit_ids, dtype=object)[changed],
            "from_station": [ids[j] if j >= 0 else None for j in zb[changed]],
            "to_station": [ids[j] if j >= 0 else None for j in za[changed]],
            "reason": pd.Categorical(reasons, categories=REASONS),
        }
    )
    return table.sort_values(["reason", "unit_id"], key=_order).reset_index(drop=True)


def _order(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes
    return column.astype(str)
