"""``mzgis zones``: responsibility zones (责任片区) on the store's layers. ``solve`` assigns
every unit to one station (the options mirror ``POST /analyses/zones``), prints the
per-station workload and the validation summary, and writes the zones and the assignment to
a file whose suffix names the format; ``validate`` checks a hand-drawn CSV/XLSX table against
the same problem (same options) and exits with code 1 when the plan has problems.

On the demo store every station can meet the default ±15 % band::

    mzgis zones solve --out zones.gpkg
    mzgis zones solve --mode network --out zones.xlsx
    mzgis zones validate zones_assignment.xlsx --mode network
    mzgis zones solve --band 0.02 --best-effort     # a band too tight: the closest plan

Units of a street with no station join a zone of an adjacent street (reported as hosted,
not as a crossing)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli_common import (
    EXIT_BAD_INPUT,
    ExportCrsOption,
    NetworkOption,
    ResultOutOption,
    StoreOption,
    WorkersOption,
    console,
    network_source,
    opened_store,
    run_with_progress,
    user_errors,
)
from api.zones.cli_plans import register
from api.zones.output import TABLE_SUFFIXES, print_report, print_workload, write_plan

if TYPE_CHECKING:
    import pandas as pd

    from api.network.service import NetworkSource
    from api.zones.schemas import ZoneRequest
    from geo.zones import ZonePlan
    from layers.store import Store

__all__ = ["app", "read_table"]

app = typer.Typer(
    name="zones",
    help="Responsibility zones of stations / 驿站责任片区",
    epilog=(
        "Examples / 示例: mzgis zones solve --out zones.gpkg;"
        " mzgis zones solve --mode network --out zones.xlsx;"
        " mzgis zones validate zones_assignment.xlsx --mode network"
    ),
    no_args_is_help=True,
)


UnitsOption = Annotated[str, typer.Option(help="Units layer / 分区单元图层")]
WorkloadOption = Annotated[str, typer.Option(help="Workload column / 工作量字段")]
BandOption = Annotated[float, typer.Option(help="± share of capacity allowed / 工作量允许偏差比例")]
ModeOption = Annotated[str, typer.Option(help="euclidean or network (walking) / 距离方式")]
CrossOption = Annotated[
    bool, typer.Option("--cross-street", help="Zones may cross streets / 允许跨街道")
]


def _problem_fields(
    units: str, workload: str, band: float, mode: str, cross_street: bool
) -> dict[str, object]:
    """The request fields of the zoning problem, shared by ``solve`` and ``validate``."""
    return {
        "units_layer": units,
        "workload_col": workload,
        "band": band,
        "mode": mode,
        "allow_cross_street": cross_street,
    }


@app.command()
@user_errors
def solve(  # noqa: PLR0917 - one parameter per CLI option
    units: UnitsOption = "communities",
    workload: WorkloadOption = "basic_recipients",
    band: BandOption = 0.15,
    mode: ModeOption = "euclidean",
    cross_street: CrossOption = False,
    best_effort: Annotated[
        bool,
        typer.Option(
            "--best-effort",
            help="Return a plan even when bands cannot be met / 区间无法满足时仍给出方案",
        ),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            help="Solve partitioned on Dask by district, street or a units column"
            " / 按区县、街道或单元字段分区在 Dask 上求解",
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Partitioned solve on: local, none or tcp://host:port (default local)"
            " / 分区求解的调度器：local、none 或 tcp://主机:端口（默认 local）",
            show_default=False,
        ),
    ] = None,
    workers: WorkersOption = 2,
    save: Annotated[
        bool,
        typer.Option(
            "--save", help="Save the plan in the store, print its id / 保存方案并显示其编号"
        ),
    ] = False,
    out: ResultOutOption = None,
    crs: ExportCrsOption = "wgs84",
    store: StoreOption = None,
    network: NetworkOption = None,
) -> None:
    """Assign every unit to one station within its band (exit 1 if unmet, unless --best-effort)
    / 划分责任片区，每个单元分配给一个驿站（区间无法满足时报错，除非 --best-effort）"""
    from api.zones.cli_plans import save_plan
    from api.zones.schemas import ZoneRequest

    request = ZoneRequest.model_validate(
        {**_problem_fields(units, workload, band, mode, cross_street), "best_effort": best_effort}
    )
    out_console = console()
    with opened_store(store, writes=save) as opened:
        plan, notes = _solved(
            opened,
            request,
            by=by,
            scheduler=scheduler,
            workers=workers,
            source=network_source(network),
        )
        plan_id = save_plan(opened, plan, request, notes) if save else None
        _print_solved(plan, notes)
        if out is not None:
            layers = (request.stations_layer, request.units_layer)
            for path in write_plan(plan, out, store=opened, layers=layers, crs=crs):
                out_console.print(f"wrote / 已写入 {path}", markup=False)
    if plan_id is not None:
        out_console.print(f"saved plan / 已保存方案 {plan_id}", markup=False)


def _solved(
    store: Store,
    request: ZoneRequest,
    *,
    by: str | None,
    scheduler: str | None,
    workers: int,
    source: NetworkSource,
) -> tuple[ZonePlan, tuple[str, ...]]:
    """Solve in this process, or partitioned (on Dask) when ``by`` or ``scheduler`` is given."""
    from api.catalog import Catalog
    from api.zones.service import solve_zones

    catalog = Catalog.build(store)
    if by is None and scheduler is None:
        return run_with_progress(
            "zoning / 正在划分片区",
            lambda _: solve_zones(catalog, request, network_source=source),
        )
    from api.zones.distributed import solve_zones_by_district

    return run_with_progress(
        "zoning by district / 正在分区划分片区",
        lambda _: solve_zones_by_district(
            catalog,
            request,
            by=by or "district",
            scheduler=scheduler or "local",
            n_workers=workers,
            network_source=source,
        ),
    )


def _print_solved(plan: ZonePlan, notes: tuple[str, ...]) -> None:
    """The notes, the objective and bound, the per-station workload and the report."""
    out_console = console()
    solve_notes = plan.info.notes if plan.info is not None else ()
    for note in (*notes, *solve_notes):
        out_console.print(f"note / 说明: {note}", markup=False)
    if plan.info is not None:
        info = plan.info
        out_console.print(
            f"{info.method}: cost / 总步行 {info.cost:,.0f} m, bound / 下界 {info.bound:,.0f} m,"
            f" solved in / 用时 {info.seconds:.2f} s",
            markup=False,
        )
    report = plan.validate()
    print_workload(report)
    print_report(report)


def read_table(path: Path, *, unit_col: str, station_col: str) -> pd.DataFrame:
    """The two columns of a hand-drawn CSV or XLSX table, as text (blank stations: None)."""
    import pandas as pd

    from api.errors import InvalidParameterError

    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InvalidParameterError(
            "FILE", str(path), "use a .csv or .xlsx table", "请使用 .csv 或 .xlsx 表格"
        )
    if not path.exists():
        raise InvalidParameterError("FILE", str(path), "no such file", "文件不存在")
    if suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    else:
        frame = pd.read_excel(path, dtype=str, engine="openpyxl")
    for option, col in (("--unit-col", unit_col), ("--station-col", station_col)):
        if col not in frame.columns:
            cols = ", ".join(map(str, frame.columns))
            raise InvalidParameterError(
                option, col, f"no such column ({cols})", f"表格没有该列（{cols}）"
            )
    table = frame[[unit_col, station_col]].rename(
        columns={unit_col: "unit", station_col: "station"}
    )
    table = table.dropna(subset=["unit"]).astype(object)
    return table.where(table.notna(), None)


@app.command()
@user_errors
def validate(  # noqa: PLR0917 - one parameter per CLI option
    file: Annotated[Path, typer.Argument(help="Hand-drawn .csv or .xlsx / 手工分区表")],
    unit_col: Annotated[str, typer.Option(help="Unit id column / 单元编号列")] = "unit_id",
    station_col: Annotated[str, typer.Option(help="Station id column / 驿站编号列")] = (
        "station_id"
    ),
    units: UnitsOption = "communities",
    workload: WorkloadOption = "basic_recipients",
    band: BandOption = 0.15,
    mode: ModeOption = "euclidean",
    cross_street: CrossOption = False,
    store: StoreOption = None,
    network: NetworkOption = None,
) -> None:
    """Check a hand-drawn table against the same problem as solve; exit 1 on problems
    / 按与 solve 相同的选项检查手工分区表，存在问题时退出码为 1"""
    from api.catalog import Catalog
    from api.zones.schemas import ValidateRequest
    from api.zones.service import validate_table

    table = read_table(file, unit_col=unit_col, station_col=station_col)
    fields = _problem_fields(units, workload, band, mode, cross_street)
    request = ValidateRequest.model_validate(
        {**fields, "assignment": table.to_dict(orient="records")}
    )
    with opened_store(store) as opened:
        report = validate_table(
            Catalog.build(opened), request, network_source=network_source(network)
        )
    print_workload(report)
    print_report(report)
    if not report.ok:
        raise typer.Exit(EXIT_BAD_INPUT)


register(app)  # mzgis zones plans | show | export (api/zones/cli_plans.py)
