"""The ``mzgis`` command line: ``serve`` and ``demo`` here, one module per sub-command group.

Each group (``layers`` now; ``network``, ``coverage``, ``site``, ``zones``, ``inspection``,
``users`` later) is a small module ``api/cli_<group>.py`` exposing a ``typer.Typer`` named
``app``; add it to :data:`GROUPS` and it is composed into ``mzgis``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli_common import (
    StoreOption,
    console,
    opened_store,
    resolve_store,
    run_with_progress,
    user_errors,
)
from api.communities import cli as communities_cli
from api.coverage import cli as coverage_cli
from api.inspection import cli as inspection_cli
from api.layers import cli as layers_cli
from api.layers import cli_store
from api.network import cli as network_cli
from api.siting import cli as siting_cli
from api.users import cli as users_cli
from api.zones import cli as zones_cli

__all__ = ["GROUPS", "app", "main"]

app = typer.Typer(
    name="mzgis",
    help=(
        "Civil-affairs facility planning: layers, coverage, siting, zones, boundary inspection"
        " / 民政设施规划：图层、覆盖分析、选址、责任片区、界线联检"
    ),
    no_args_is_help=True,
    add_completion=False,
)

#: the sub-command groups composed into ``mzgis``
GROUPS: tuple[typer.Typer, ...] = (
    layers_cli.app,
    network_cli.app,
    coverage_cli.app,
    inspection_cli.app,
    users_cli.app,
    cli_store.app,
    siting_cli.app,
    zones_cli.app,
    communities_cli.app,
)
for group in GROUPS:
    app.add_typer(group)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console().print(f"mzgis {version('mzgis')}")
        raise typer.Exit


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version / 显示版本"
        ),
    ] = False,
) -> None:
    """Civil-affairs facility planning / 民政设施规划"""


@app.command()
@user_errors
def serve(
    store: StoreOption = None,
    host: Annotated[
        str | None, typer.Option(help="Address, default 127.0.0.1 / 服务地址", show_default=False)
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port, default 8000 / 服务端口", show_default=False),
    ] = None,
) -> None:
    """Serve the API and maps (builds the demo on first use) / 启动服务（首次使用时生成示例）"""
    from api.config import Settings

    settings = Settings(store=resolve_store(store))
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = settings.model_copy(update=overrides)
    with opened_store(settings.store) as opened:
        count, shown = len(opened.layers()), opened.url  # a PostGIS URL without its password
    url = f"http://{settings.host}:{settings.port}"
    console().print(
        f"serving {shown} ({count} layers) at {url}  docs: {url}/docs"
        f" / 服务地址 {url}，接口文档 {url}/docs",
        markup=False,
    )
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


@app.command()
@user_errors
def demo(
    out: Annotated[
        Path | None,
        typer.Option(
            help="Output GeoPackage, default data/demo.gpkg / 输出文件", show_default=False
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the estimated values / 随机种子")] = 2023,
) -> None:
    """Build the Beijing demo store from the raw public data / 由公开原始数据生成北京示例数据"""
    from rich.table import Table

    from api.inspection.seed import seed_demo_store
    from layers.demo import DEFAULT_RAW_DIR, DEFAULT_STORE, build_demo

    target = out or DEFAULT_STORE
    summary = run_with_progress(
        "building the demo store / 正在生成示例数据",
        lambda report: build_demo(DEFAULT_RAW_DIR, target, seed=seed, progress=report),
    )
    with opened_store(str(target)) as store:
        records = seed_demo_store(store)
    table = Table(title=f"{summary.path} (seed {summary.seed})")
    table.add_column("layer / 图层")
    table.add_column("features / 要素数", justify="right")
    for kind, count in summary.counts.items():
        table.add_row(kind, f"{count:,}")
    table.add_row("inspection records / 联检记录", f"{records:,}")
    out_console = console()
    out_console.print(table)
    out_console.print(
        f"built in {summary.elapsed_s:.1f} s, {summary.size_bytes / 1e6:.1f} MB"
        f" / 用时 {summary.elapsed_s:.1f} 秒，文件 {summary.size_bytes / 1e6:.1f} MB",
        markup=False,
    )


def main() -> None:
    """Entry point of the ``mzgis`` console script."""
    app()
