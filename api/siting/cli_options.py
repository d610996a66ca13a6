"""The options of ``mzgis site`` (typer ``Annotated`` aliases, one per option; they mirror
the body of ``POST /analyses/siting``); the command is :func:`api.siting.cli.site`."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = [
    "AreaOption",
    "CandidatesOption",
    "CapacityOption",
    "CutoffOption",
    "DemandOption",
    "EveryOption",
    "ExcludeWithinOption",
    "ExistingOption",
    "MinSpacingOption",
    "MipGapOption",
    "ModeOption",
    "NewSiteCapacityOption",
    "NewSitesOption",
    "ProblemOption",
    "RadiusOption",
    "RoadsOption",
    "SetbackOption",
    "SingleSourceOption",
    "SpacingOption",
    "TimeLimitOption",
    "WeightOption",
]

ProblemOption = Annotated[
    str, typer.Option(help="lscp, mclp, pmedian or pcenter / 模型", show_default=True)
]
NewSitesOption = Annotated[
    int | None, typer.Option("--p", "-p", help="New sites (not for lscp) / 新增设施数")
]
RadiusOption = Annotated[float, typer.Option(help="Service radius, m / 服务半径（米）")]
CutoffOption = Annotated[
    float | None, typer.Option(help="Largest distance measured, m / 最大计算距离（米）")
]
DemandOption = Annotated[str, typer.Option(help="Demand layer / 需求图层")]
WeightOption = Annotated[str, typer.Option(help="Weight column ('' for 1 each) / 需求权重字段")]
CandidatesOption = Annotated[
    str, typer.Option(help="grid, network (along roads) or a layer name / 候选点来源")
]
AreaOption = Annotated[str, typer.Option(help="Area of the grid / 网格范围图层")]
SpacingOption = Annotated[float, typer.Option(help="Grid spacing, m / 网格间距")]
RoadsOption = Annotated[str, typer.Option(help="Road layer (network) / 道路图层")]
EveryOption = Annotated[float, typer.Option(help="Spacing along roads, m / 沿路间距")]
ExcludeWithinOption = Annotated[
    list[str] | None,
    typer.Option(help="Drop candidates inside this layer (repeatable) / 排除区域图层"),
]
SetbackOption = Annotated[
    list[str] | None,
    typer.Option(help="LAYER:METRES setback (repeatable) / 避让规则 图层:米"),
]
MinSpacingOption = Annotated[
    float | None, typer.Option(help="Least spacing of candidates, m / 候选点最小间距")
]
ExistingOption = Annotated[
    str | None, typer.Option(help="Existing facilities, kept open / 现有设施图层")
]
CapacityOption = Annotated[str | None, typer.Option(help="Capacity column / 容量字段")]
NewSiteCapacityOption = Annotated[
    float | None, typer.Option(help="Capacity of a new site / 新增设施容量")
]
SingleSourceOption = Annotated[bool, typer.Option(help="Each demand to one site / 单一来源分配")]
ModeOption = Annotated[str, typer.Option(help="euclidean or network (walking) / 距离模式")]
TimeLimitOption = Annotated[float, typer.Option(help="Solver limit, s / 求解时限")]
MipGapOption = Annotated[float, typer.Option(help="Relative gap accepted / 相对间隙")]
