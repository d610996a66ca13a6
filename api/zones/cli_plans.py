"""``mzgis zones plans|show|export``: the zone plans (责任片区方案) saved in the store by
``POST /analyses/zones`` (or ``mzgis zones solve --save``). ``plans`` lists them, ``show``
prints one version's workload table and validation summary, and ``export`` writes its zones
and assignment to a file whose suffix names the format.

:func:`register` adds the commands to the ``zones`` group; :func:`save_plan` saves a plan
solved on the command line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli_common import (
    ExportCrsOption,
    StoreOption,
    cli_actor,
    console,
    opened_store,
    user_errors,
)

if TYPE_CHECKING:
    from api.zones.plans import PlanRegistry, StoredPlan
    from api.zones.schemas import ZoneRequest
    from geo.zones import ZonePlan
    from layers.store import Store

__all__ = ["export_plan", "list_plans", "register", "save_plan", "show_plan"]

PlanIdArgument = Annotated[str, typer.Argument(help="Plan id / 方案编号", show_default=False)]
VersionOption = Annotated[
    int | None,
    typer.Option(min=1, help="Version (default: the current one) / 版本（默认当前版本）"),
]


@contextlib.contextmanager
def _registry(store: Store) -> Iterator[PlanRegistry]:
    """The plans of an open store (its record store closed after use)."""
    from api.catalog import Catalog
    from api.network.service import store_network
    from api.zones.plans import PlanRegistry
    from layers.records import open_record_store

    records = open_record_store(store)
    try:
        yield PlanRegistry(Catalog.build(store), records, network_source=store_network)
    finally:
        records.close()


@contextlib.contextmanager
def _opened(store: str | None) -> Iterator[PlanRegistry]:
    """The plans of the ``--store`` option's store."""
    with opened_store(store) as opened, _registry(opened) as registry:
        yield registry


def _plan(registry: PlanRegistry, plan_id: str, version: int | None) -> StoredPlan:
    """The plan, or a bilingual error naming the id (exit 1)."""
    from api.errors import InvalidParameterError, PlanNotFoundError
    from layers.records import RecordNotFoundError

    try:
        return registry.get(plan_id, version=version)
    except (PlanNotFoundError, RecordNotFoundError):
        what = "PLAN_ID" if version is None else "--version"
        value = plan_id if version is None else version
        raise InvalidParameterError(
            what, value, "no such saved plan or version", "没有该方案或版本"
        ) from None


def save_plan(
    store: Store, plan: ZonePlan, request: ZoneRequest, notes: tuple[str, ...] = ()
) -> str:
    """Save a plan solved on ``store`` as version 1 of a new plan (the actor is
    ``cli:<user>``); returns its id."""
    with _registry(store) as registry:
        return registry.add(plan, request, notes, actor=cli_actor()).plan_id


def list_plans(
    limit: Annotated[int, typer.Option(min=1, help="Plans shown / 显示的方案数")] = 50,
    store: StoreOption = None,
) -> None:
    """List the saved zone plans, newest first / 列出已保存的责任片区方案（新的在前）"""
    with _opened(store) as registry:
        found = registry.list_plans(limit=limit)
    out = console()
    if not found:
        out.print("no saved plans / 暂无已保存的方案", markup=False)
    for p in found:
        s = p.summary
        state = "OK / 无问题" if s.get("ok") else "problems / 有问题"
        out.print(
            f"{p.plan_id}  v{p.version}  {p.updated_by} {p.updated_at[:16]}"
            f" (created / 创建 {p.created_by} {p.created_at[:16]})\n"
            f"    units / 单元 {s.get('units', '–')} · overloaded / 超负荷"
            f" {s.get('overloaded', '–')} · fragmented / 不连通 {s.get('fragmented', '–')}"
            f" · {state}",
            markup=False,
        )


def show_plan(
    plan_id: PlanIdArgument, version: VersionOption = None, store: StoreOption = None
) -> None:
    """Show a saved plan: notes, how it was made, workload by station and its problems
    / 显示已保存方案：说明、求解信息、各驿站工作量与问题"""
    from api.zones.output import print_report, print_workload

    with _opened(store) as registry:
        stored = _plan(registry, plan_id, version)
        report = stored.report
    out = console()
    out.print(
        f"plan / 方案 {stored.plan_id} v{stored.plan.version}: created by / 创建 "
        f"{stored.created_by} {stored.created_at}, updated by / 更新 {stored.updated_by}"
        f" {stored.updated_at}",
        markup=False,
    )
    for note in stored.notes:
        out.print(f"note / 说明: {note}", markup=False)
    if stored.plan.info is not None:
        info = stored.plan.info
        out.print(f"{info.method}: cost / 总步行 {info.cost:,.0f} m", markup=False)
    print_workload(report)
    print_report(report)


def export_plan(
    plan_id: PlanIdArgument,
    out: Annotated[
        Path, typer.Argument(help="Output: .gpkg .geojson .csv .xlsx (.shp) / 输出文件")
    ],
    version: VersionOption = None,
    crs: ExportCrsOption = "wgs84",
    store: StoreOption = None,
) -> None:
    """Write a saved plan's zones and assignment to a file
    / 将已保存方案的片区与分配表写入文件"""
    from api.zones.output import write_plan

    with opened_store(store) as opened, _registry(opened) as registry:
        stored = _plan(registry, plan_id, version)
        layers = (stored.request.stations_layer, stored.request.units_layer)
        for path in write_plan(stored.plan, out, store=opened, layers=layers, crs=crs):
            console().print(f"wrote / 已写入 {path}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``plans``, ``show`` and ``export`` to the ``zones`` command group."""
    app.command("plans")(user_errors(list_plans))
    app.command("show")(user_errors(show_plan))
    app.command("export")(user_errors(export_plan))
