"""Zone plans (责任片区方案) kept in the record store, shared by ``/analyses/zones``,
``/maps/zones`` and ``mzgis zones``.

:class:`PlanRegistry` saves a solved plan as version 1 (assignment, locks, solve info,
notes, and the stamps of its input layers), reads any version back, and saves an edit as
the next version with a compare-and-swap on the version: an edit based on a stale version
raises :class:`geo.zones.StalePlanError` before any work, and one that loses a race with
another writer raises :class:`layers.PreconditionFailedError` (both HTTP 412) and saves
nothing. A plan survives restarts; it is rebuilt with :meth:`geo.zones.ZonePlan.from_table`
on the problem of its stored request, built from the current layers.

Built problems are cached in memory by (request, stamps of the input layers), and rebuilt
plans by (plan, version, stamps), so repeated reads are fast and a re-imported layer is
seen at once. When the input layers changed since a version was made, the plan is still
served, with a note saying so; units or stations that no longer exist are left out (with a
note), and an edit of such a plan is refused (HTTP 422).
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import pandas as pd

from api.catalog import Catalog
from api.errors import InvalidBodyError, PlanNotFoundError
from api.network.service import ROADS_LAYER, NetworkSource
from api.zones.schemas import EditRequest, ZoneRequest
from api.zones.service import apply_edit, build_problem
from api.zones.stored import EditResult, StoredPlan, plan_assignment, plan_summary, saved_by
from geo.zones import SolveInfo, StalePlanError, ZonePlan, ZoneProblem, ZoneReport, solve
from layers.records import (
    RecordNotFoundError,
    RecordStore,
    ZonePlanSummary,
    ZonePlanVersion,
    canonical_json,
    layer_stamps,
)

__all__ = [
    "MAX_CACHED",
    "EditResult",
    "PlanRegistry",
    "StoredPlan",
    "plan_assignment",
    "plan_summary",
]

#: problems (and, separately, rebuilt plans) kept in memory per registry
MAX_CACHED = 8
Stamps = dict[str, Any]


def _tuples(value: Any) -> Any:
    """JSON lists (nested too) as the tuples a :class:`SolveInfo` holds."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _solve_info(data: dict[str, Any] | None) -> SolveInfo | None:
    """A :class:`SolveInfo` from its stored dict (``None`` when it cannot be rebuilt)."""
    if not data:
        return None
    names = {f.name for f in dataclasses.fields(SolveInfo)}
    kwargs: dict[str, Any] = {k: _tuples(v) for k, v in data.items() if k in names}
    try:
        return SolveInfo(**kwargs)
    except TypeError:
        return None


def _problem_key(request: ZoneRequest, stamps: Stamps) -> tuple[str, str]:
    shape = request.model_dump(mode="json", exclude={"best_effort"})
    return canonical_json(shape), canonical_json(stamps)


def _changed_note(before: Stamps, now: Stamps) -> str | None:
    moved = [
        f"{name} (v{stamp['version']} → v{now[name]['version']})"
        if name in now
        else f"{name} (removed / 已删除)"
        for name, stamp in sorted(before.items())
        if now.get(name) != stamp
    ]
    if not moved:
        return None
    text = ", ".join(moved)
    return (
        f"the input layers changed since this version was made: {text}; it is shown on the"
        f" current layers / 该版本生成后输入图层已更新：{text}；按当前图层显示"
    )


def _missing_note(units: list[str], stations: list[str]) -> str | None:
    if not units and not stations:
        return None
    return (
        f"{len(units)} units and {len(stations)} stations of the plan are no longer in the"
        " layers and are left out; solve again to edit it"
        f" / 方案中 {len(units)} 个单元、{len(stations)} 个驿站已不在当前图层中，未计入；"
        "如需编辑请重新求解"
    )


def _request_of(saved: ZonePlanVersion) -> ZoneRequest:
    """The stored request of a plan (a field dropped since it was saved is ignored)."""
    known = ZoneRequest.model_fields
    return ZoneRequest.model_validate({k: v for k, v in saved.request.items() if k in known})


def _version_fields(
    plan: ZonePlan,
    report: ZoneReport,
    request: ZoneRequest,
    *,
    notes: tuple[str, ...],
    stamps: Stamps,
    actor: str,
) -> dict[str, Any]:
    """What every saved version of a plan holds besides its plan id: the assignment and
    locks, the solve's info, the notes, the layers' stamps, the summary, who saved it."""
    assignment, locked = plan_assignment(plan)
    return {
        "assignment": assignment,
        "locked": locked,
        "info": plan.info.to_dict() if plan.info else None,
        "notes": notes,
        "inputs": stamps,
        "summary": plan_summary(plan, report, request),
        "actor": actor,
    }


class PlanRegistry:
    """Zone plans of a store, kept in its record store (see the module docstring).

    Parameters
    ----------
    catalog
        The layers of the store the plans are solved on.
    records
        The record store that keeps them (:func:`layers.records.open_record_store`).
    network_source
        The walking network of the store, for plans in ``network`` mode.
    """

    def __init__(
        self,
        catalog: Catalog,
        records: RecordStore,
        *,
        network_source: NetworkSource | None = None,
        max_cached: int = MAX_CACHED,
    ) -> None:
        self.catalog, self.store, self.records = catalog, catalog.store, records
        self.network_source = network_source
        self._max = max_cached
        self._lock = threading.Lock()
        self._problems: OrderedDict[Hashable, tuple[ZoneProblem, tuple[str, ...]]] = OrderedDict()
        self._plans: OrderedDict[Hashable, StoredPlan] = OrderedDict()

    # -- reading -------------------------------------------------------------------------

    def stamps(self, request: ZoneRequest) -> Stamps:
        """Stamps (version, ``updated_at``) of the layers a request reads."""
        names = [request.units_layer, request.stations_layer]
        return layer_stamps(
            self.store, [*names, ROADS_LAYER] if request.mode == "network" else names
        )

    def problem(
        self, request: ZoneRequest, stamps: Stamps | None = None
    ) -> tuple[ZoneProblem, tuple[str, ...]]:
        """The problem of ``request`` on the current layers and notes on its inputs (cached
        by the request and the stamps of its layers)."""
        stamps = self.stamps(request) if stamps is None else stamps
        key = _problem_key(request, stamps)
        built = self._cached(self._problems, key)
        if built is None:
            built = build_problem(self.catalog, request, network_source=self.network_source)
            self._keep(self._problems, key, built)
        return built

    def get(self, plan_id: str, *, version: int | None = None) -> StoredPlan:
        """The current version of a plan, or ``version`` (404 when either is absent)."""
        return self._rebuilt(self._read(plan_id, version))

    def list_plans(self, *, limit: int | None = None, offset: int = 0) -> list[ZonePlanSummary]:
        """Every plan at its current version, newest first."""
        return self.records.list_plans(limit=limit, offset=offset)

    def history(self, plan_id: str) -> list[ZonePlanSummary]:
        """Every version of a plan, oldest first."""
        try:
            return self.records.plan_history(plan_id)
        except RecordNotFoundError:
            raise PlanNotFoundError(plan_id) from None

    # -- writing -------------------------------------------------------------------------

    def solve(self, request: ZoneRequest, *, actor: str, save: bool = True) -> StoredPlan:
        """Solve ``request`` on the current layers and save the plan as version 1 (or, with
        ``save`` false, return it unsaved: no plan id, version 0)."""
        stamps = self.stamps(request)  # before reading: a layer written meanwhile shows
        problem, notes = self.problem(request, stamps)
        plan = solve(problem, best_effort=request.best_effort)
        if not save:
            return StoredPlan("", dataclasses.replace(plan, version=0), request, notes=notes)
        return self.add(plan, request, notes, actor=actor, stamps=stamps)

    def add(
        self,
        plan: ZonePlan,
        request: ZoneRequest,
        notes: tuple[str, ...] = (),
        *,
        actor: str,
        stamps: Stamps | None = None,
    ) -> StoredPlan:
        """Save a solved plan as version 1 of a new plan (a fresh UUID4 id)."""
        stamps = self.stamps(request) if stamps is None else stamps
        if self._cached(self._problems, _problem_key(request, stamps)) is None:
            self._keep(self._problems, _problem_key(request, stamps), (plan.problem, notes))
        plan = dataclasses.replace(plan, version=1)
        report = plan.validate()
        saved = self.records.create_plan(
            plan_id=str(uuid.uuid4()),
            request=request.model_dump(mode="json"),
            **_version_fields(plan, report, request, notes=notes, stamps=stamps, actor=actor),
        )
        return self._remember(saved, plan, request, report, stamps)

    def edit(self, plan_id: str, edit: EditRequest, *, based_on: int, actor: str) -> EditResult:
        """Apply ``edit`` to version ``based_on`` and save the result as the next version
        (``edit.preview``: compute it, save nothing).

        Raises
        ------
        geo.zones.StalePlanError, layers.PreconditionFailedError
            ``based_on`` is not (or, by the time of saving, no longer) the current version.
        api.errors.InvalidBodyError
            The edit names unknown units or stations, is empty, or the plan refers to units
            or stations that are no longer in the layers.
        """
        current = self._read(plan_id, None)
        if current.version != based_on:
            raise StalePlanError(based_on=based_on, current=current.version)
        request = _request_of(current)
        stamps = self.stamps(request)
        stored = self._rebuilt(current, request, stamps)
        if stored.missing_units or stored.missing_stations:
            gone = [*stored.missing_units[:10], *stored.missing_stations[:10]]
            en = "the plan refers to units or stations no longer in the layers; solve again"
            raise InvalidBodyError(
                "plan_id", gone, en, "方案中的单元或驿站已不在当前图层中，请重新求解"
            )
        plan, changed = apply_edit(stored.plan, edit, based_on=based_on)
        plan = dataclasses.replace(plan, version=based_on + 1)
        report = plan.validate()
        _, notes = self.problem(request, stamps)
        if edit.preview:
            preview = dataclasses.replace(stored, plan=plan, notes=notes, updated_by=actor)
            vars(preview)["report"] = report
            return EditResult(preview, changed, stored)
        saved = self.records.save_plan_version(
            plan_id,
            based_on=based_on,
            **_version_fields(plan, report, request, notes=notes, stamps=stamps, actor=actor),
        )
        return EditResult(self._remember(saved, plan, request, report, stamps), changed, stored)

    # -- helpers -------------------------------------------------------------------------

    def _read(self, plan_id: str, version: int | None) -> ZonePlanVersion:
        try:
            saved = self.records.get_plan(plan_id, version=version)
        except RecordNotFoundError:
            if version is None:
                raise PlanNotFoundError(plan_id) from None
            raise
        if saved.request.get("analysis", "zones") != "zones":  # a community proposal
            raise PlanNotFoundError(plan_id)
        return saved

    def _rebuilt(
        self,
        saved: ZonePlanVersion,
        request: ZoneRequest | None = None,
        stamps: Stamps | None = None,
    ) -> StoredPlan:
        """``saved`` rebuilt on the current layers (request and stamps read if not given)."""
        request = _request_of(saved) if request is None else request
        stamps = self.stamps(request) if stamps is None else stamps
        key = (saved.plan_id, saved.version, canonical_json(stamps))
        stored = self._cached(self._plans, key)
        if stored is None:
            stored = self._build(saved, request, stamps)
            self._keep(self._plans, key, stored)
        return stored

    def _build(self, saved: ZonePlanVersion, request: ZoneRequest, stamps: Stamps) -> StoredPlan:
        problem, _ = self.problem(request, stamps)
        units = {str(u): u for u in problem.unit_ids}
        stations = {str(s): s for s in problem.station_ids}
        rows = pd.Series(saved.assignment, dtype=object)
        known = rows.index.isin(list(units))
        missing_units = sorted(rows.index[~known])
        rows = rows[known]
        gone = rows.notna() & ~rows.isin(list(stations))
        missing_stations = sorted(set(rows[gone]))
        table = pd.DataFrame(
            {
                "unit_id": [units[u] for u in rows.index],
                "station_id": [
                    None if s is None or g else stations[s] for s, g in zip(rows, gone, strict=True)
                ],
                "locked": rows.index.isin(list(saved.locked)),
            }
        )
        plan = ZonePlan.from_table(problem, table, version=saved.version)
        plan = dataclasses.replace(plan, info=_solve_info(saved.info))
        changed = _changed_note(saved.inputs, stamps)
        missing = _missing_note(missing_units, missing_stations)
        return StoredPlan(
            saved.plan_id, plan, request,
            notes=(*saved.notes, *(n for n in (changed, missing) if n)), **saved_by(saved),
            inputs_changed=changed is not None,
            missing_units=tuple(missing_units), missing_stations=tuple(missing_stations),
        )  # fmt: skip

    def _remember(
        self,
        saved: ZonePlanVersion,
        plan: ZonePlan,
        request: ZoneRequest,
        report: ZoneReport,
        stamps: Stamps,
    ) -> StoredPlan:
        """The plan just saved, kept in the caches (its problem and report included)."""
        stored = StoredPlan(saved.plan_id, plan, request, notes=saved.notes, **saved_by(saved))
        vars(stored)["report"] = report  # the slot of the cached property
        self._keep(self._plans, (saved.plan_id, saved.version, canonical_json(stamps)), stored)
        return stored

    def _cached(self, cache: OrderedDict[Hashable, Any], key: Hashable) -> Any:
        with self._lock:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
            return found

    def _keep(self, cache: OrderedDict[Hashable, Any], key: Hashable, value: Any) -> None:
        with self._lock:
            cache[key] = value
            while len(cache) > self._max:
                cache.popitem(last=False)
