"""The options of ``mzgis coverage`` (typer ``Annotated`` aliases, one per option) and the
check of how they combine (:func:`check_options`); the command is
:func:`api.coverage.cli.coverage_command`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

__all__ = [
    "ByOption",
    "DemandOption",
    "FacilitiesOption",
    "LangOption",
    "ModeOption",
    "OutOption",
    "PiecesDirOption",
    "RadiusOption",
    "SchedulerOption",
    "TiersOption",
    "WeightOption",
    "check_options",
]

FacilitiesOption = Annotated[
    str, typer.Option(help="Facility layer, e.g. stations / 设施图层", show_default=False)
]
DemandOption = Annotated[str, typer.Option(help="Demand layer / 需求图层")]
RadiusOption = Annotated[
    float | None,
    typer.Option(help="Service radius in metres / 服务半径（米）", show_default=False),
]
TiersOption = Annotated[
    str | None,
    typer.Option(help="Tiered radii, e.g. 300,500,1000 / 分级服务半径", show_default=False),
]
ModeOption = Annotated[
    str, typer.Option(help="network (walking) or euclidean / 步行距离或直线距离")
]
ByOption = Annotated[str, typer.Option(help="community, street or district / 汇总层级")]
WeightOption = Annotated[
    list[str] | None,
    typer.Option(help="Demand count column(s), e.g. elderly_60_plus / 人数字段"),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        help="Results: .xlsx workbook, .csv table, .gpkg .geojson layer / 输出文件",
        show_default=False,
    ),
]
LangOption = Annotated[str, typer.Option(help="Headers of --out: zh or en / 表头语言")]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Partition by district on Dask: local, none or tcp://host:port"
        " / 按区县分区在 Dask 上计算：local、none 或调度器地址",
        show_default=False,
    ),
]
PiecesDirOption = Annotated[
    Path | None,
    typer.Option(
        help="With --scheduler: where the districts' network pieces are written once and"
        " read by the workers (shared with them); default beside a GeoPackage store,"
        " inside a PostGIS store / 区县路网分片目录（写一次，工作进程读取），默认在"
        " GeoPackage 文件旁或 PostGIS 存储内",
        show_default=False,
    ),
]


def check_options(
    *, mode: str, by: str, radius: float | None, tiers: str | None
) -> Literal["network", "euclidean"]:
    """The measuring mode, once ``--mode``, ``--by`` and ``--radius``/``--tiers`` are known
    to be usable together; :class:`~api.errors.InvalidParameterError` naming the option."""
    from api.errors import InvalidParameterError

    if mode not in ("network", "euclidean"):
        raise InvalidParameterError(
            "--mode", mode, "use network or euclidean", "请用 network 或 euclidean"
        )
    if by not in ("community", "street", "district"):
        raise InvalidParameterError(
            "--by", by, "use community, street or district", "请用 community、street 或 district"
        )
    if radius is not None and tiers is not None:
        raise InvalidParameterError(
            "--radius", radius, "give --radius or --tiers, not both", "服务半径与分级半径只能给一个"
        )
    return "network" if mode == "network" else "euclidean"
