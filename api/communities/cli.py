"""``mzgis communities``: community size adjustment (社区规模调整) on the store's layers.

``resize`` flags communities over the thresholds and proposes a split of each along street
blocks (the options mirror ``POST /analyses/communities``), prints one line per proposal,
writes the parts, blocks and tables to a file whose suffix names the format, and with
``--accept`` writes the communities layer with the feasible proposals in place of the
communities they replace (it says what it drops and asks first, unless ``--yes``)::

    mzgis communities resize
    mzgis communities resize --out proposals.gpkg
    mzgis communities resize --codes 110102001028 --parts 110102001028=4 --out p.xlsx
    mzgis communities resize --anchors stations --merge-undersize
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from api.cli_common import (
    ResultOutOption,
    StoreOption,
    cli_actor,
    console,
    opened_store,
    run_with_progress,
    user_errors,
)
from api.communities.output import print_result, write_result

if TYPE_CHECKING:
    from geo.communities import ResizeResult
    from layers.store import Store

__all__ = ["app"]

app = typer.Typer(
    name="communities",
    help="Community size adjustment / 社区规模调整",
    epilog=(
        "Examples / 示例: mzgis communities resize --out proposals.gpkg;"
        " mzgis communities resize --codes 110102001028 --parts 110102001028=4"
    ),
    no_args_is_help=True,
)


def _parts(values: list[str]) -> dict[str, int]:
    out = {}
    for text in values:
        code, _, k = text.partition("=")
        if not k.strip().isdigit():
            msg = f"--parts takes CODE=K, not {text!r} / --parts 的格式为 代码=分区数"
            raise typer.BadParameter(msg)
        out[code.strip()] = int(k)
    return out


def _accept(store: Store, result: ResizeResult, layer: str, *, yes: bool) -> None:
    """Write the accepted communities layer after saying what it replaces."""
    from layers.records import open_record_store
    from layers.store.base import Written

    chosen = [p for p in result.proposals if p.status == "proposed"]
    out = console()
    if not chosen:
        out.print("nothing to accept / 没有可采纳的方案", markup=False)
        return
    dropped = [c for p in chosen for c in p.replaces]
    added = sum(p.parts for p in chosen)
    out.print(
        f"accepting replaces {len(dropped)} communities ({', '.join(dropped[:10])}"
        f"{' …' if len(dropped) > 10 else ''}) with {added} provisional ones in layer {layer}"
        f" / 采纳后将以 {added} 个暂定社区替换 {len(dropped)} 个社区",
        markup=False,
    )
    if not yes and not typer.confirm("write the new layer? / 写入新图层？"):
        raise typer.Exit(code=1)
    records, actor = open_record_store(store), cli_actor()

    def audit(written: Written) -> None:  # in the layer write's transaction
        detail = {"layer": layer, "layer_version": written.info.version, "dropped": dropped}
        target = f"layer:{layer}"
        records.audit_within(
            written.connection, "community_proposal.accept", target, detail, actor=actor
        )

    try:
        store.import_frame(
            result.accepted(), name=layer, kind="communities", source="communities resize",
            within=audit,
        )  # fmt: skip
    finally:
        records.close()
    info = store.info(layer)
    out.print(f"wrote layer / 已写入图层 {layer} (v{info.version})", markup=False)


@app.command()
@user_errors
def resize(  # noqa: PLR0917 - one parameter per CLI option
    codes: Annotated[
        str | None, typer.Option(help="Only these codes, comma-separated / 仅这些社区")
    ] = None,
    parts: Annotated[
        list[str] | None, typer.Option(help="CODE=K parts for a community / 指定分区数")
    ] = None,
    band: Annotated[
        str, typer.Option(help="Households per part LOW,HIGH / 分区户数")
    ] = "1000,3000",
    split: Annotated[float, typer.Option(help="Split threshold / 拆分阈值（户）")] = 5000,
    resize_over: Annotated[
        float, typer.Option("--resize", help="Resize threshold / 调整阈值（户）")
    ] = 3000,
    target: Annotated[
        float | None, typer.Option(help="Target households per part / 目标户数")
    ] = None,
    anchors: Annotated[
        list[str] | None, typer.Option(help="Anchor layers (each part holds one) / 锚点图层")
    ] = None,
    households: Annotated[
        str | None, typer.Option(help="Household layer (else by area) / 户数图层")
    ] = None,
    units: Annotated[str | None, typer.Option(help="Own blocks layer / 自备街区图层")] = None,
    merge_undersize: Annotated[
        bool, typer.Option("--merge-undersize", help="Merge small neighbours / 合并过小社区")
    ] = False,
    out: ResultOutOption = None,
    accept: Annotated[
        bool, typer.Option("--accept", help="Write the new communities layer / 采纳方案")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask / 不再确认")] = False,
    store: StoreOption = None,
) -> None:
    """Flag over-size communities and propose splits along street blocks
    / 标记规模过大的社区，并沿街区提出拆分方案"""
    from api.catalog import Catalog
    from api.communities.schemas import ResizeRequest
    from api.communities.service import run_resize

    low, _, high = band.partition(",")
    request = ResizeRequest.model_validate(
        {
            "codes": [c.strip() for c in codes.split(",")] if codes else None,
            "parts": _parts(parts or []),
            "band_lower_households": low,
            "band_upper_households": high,
            "split_threshold_households": split,
            "resize_threshold_households": resize_over,
            "target_households": target,
            "anchors_layers": anchors or [],
            "households_layer": households,
            "units_layer": units,
            "merge_undersize": merge_undersize,
        }
    )
    with opened_store(store) as opened:
        catalog = Catalog.build(opened)
        result = run_with_progress(
            "resizing / 正在调整社区规模", lambda _: run_resize(catalog, request)
        )
        print_result(result)
        if out is not None:
            for path in write_result(result, out, store=opened.url):
                console().print(f"wrote / 已写入 {path}", markup=False)
        if accept:
            _accept(opened, result, request.communities_layer, yes=yes)
