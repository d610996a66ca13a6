"""What every ``mzgis`` sub-command shares: consoles, the ``--store`` option, opening the
store, and turning user errors into a bilingual message and exit code 1 (no traceback); a
``--store`` path that does not exist is exit code 2 and leaves no file behind (only
``mzgis demo`` and an explicit ``--create`` make a new store).

Heavy modules (geopandas, fastapi) are imported inside functions so ``mzgis --help`` is quick.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from api.config import Settings
    from api.network.service import NetworkSource
    from layers.store import Store

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_NO_STORE",
    "ExportCrsOption",
    "NetworkOption",
    "ResultOutOption",
    "StoreOption",
    "WorkersOption",
    "cli_actor",
    "console",
    "err_console",
    "network_source",
    "opened_store",
    "resolve_store",
    "run_with_progress",
    "user_errors",
]

EXIT_BAD_INPUT = 1
EXIT_NO_STORE = 2

P = ParamSpec("P")
R = TypeVar("R")

#: workers of a local Dask cluster (the partitioned commands)
WorkersOption = Annotated[
    int, typer.Option(min=1, help="Workers of a local cluster / 本地集群工作进程数")
]


def _export_crs(value: str) -> str:
    if value not in ("wgs84", "gcj02", "bd09"):
        msg = f"{value!r}: use wgs84, gcj02 or bd09 / 输出坐标系须为 wgs84、gcj02 或 bd09"
        raise typer.BadParameter(msg)
    return value


#: the coordinates of an export: WGS84, or the web maps' GCJ-02 (高德) / BD-09 (百度)
ExportCrsOption = Annotated[
    str,
    typer.Option(
        "--crs",
        help="Coordinates of --out: wgs84, gcj02 (AMap) or bd09 (Baidu) / 输出坐标系",
        callback=_export_crs,
    ),
]
#: where a result table goes, by suffix (``--out``)
ResultOutOption = Annotated[
    Path | None,
    typer.Option(help="Output: .gpkg .geojson .csv .xlsx (.shp) / 输出文件", show_default=False),
]
StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help=(
            "GeoPackage path or postgresql:// URL; default: MZGIS_STORE or the demo store"
            " / GeoPackage 文件或 PostGIS 地址；默认取 MZGIS_STORE 或示例数据"
        ),
        show_default=False,
    ),
]

#: a walking network file to measure on instead of the store's own
NetworkOption = Annotated[
    Path | None,
    typer.Option(
        "--network",
        help=(
            "Walking network file (.npz from mzgis network build); default: the store's"
            " / 步行路网文件（mzgis network build 生成的 .npz），默认取数据自带的路网"
        ),
        show_default=False,
    ),
]


def network_source(path: Path | None) -> NetworkSource:
    """Where a command's walking network comes from: the ``--network`` file, else the
    store's own (its roads layer, or the network saved with it)."""
    from api.network.service import file_network_source, store_network

    return store_network if path is None else file_network_source(path)


def cli_actor() -> str:
    """Who the CLI acts as in the audit log: ``cli:<os user>``."""
    return f"cli:{getpass.getuser()}"


def console() -> Console:
    """A console on the current standard output (made per call, so test runners see it)."""
    return Console(highlight=False, soft_wrap=True)


def err_console() -> Console:
    """A console on the current standard error."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _settings() -> Settings:
    from api.config import Settings

    return Settings()


def resolve_store(store: str | None) -> str:
    """The ``--store`` given, else the configured one (``MZGIS_STORE`` or the demo)."""
    return store or _settings().store


def run_with_progress(title: str, work: Callable[[Callable[[str], None]], R]) -> R:
    """Run ``work(progress)`` under a spinner; each message it reports is printed above it."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err_console(), transient=True) as progress:
        task = progress.add_task(title, total=None)

        def report(message: str) -> None:
            progress.console.print(f"  {message}", markup=False)
            progress.update(task, description=f"{title}: {message.split(' / ', maxsplit=1)[0]}")

        return work(report)


def build_demo_if_missing(location: str) -> None:
    """Build the demo store (with progress) when ``location`` is the demo and is missing."""
    from api.config import is_default_store

    if not is_default_store(location) or Path(location).exists():
        return
    from api.inspection.seed import seed_demo_store
    from layers.demo import DEFAULT_RAW_DIR, build_demo
    from layers.store import open_store

    title = "building the demo store (first use) / 首次使用，正在生成示例数据"
    run_with_progress(
        title, lambda report: build_demo(DEFAULT_RAW_DIR, Path(location), progress=report)
    )
    store = open_store(location)
    try:
        seed_demo_store(store)
    finally:
        store.close()


class MissingStoreError(Exception):
    """A ``--store`` path that does not exist (exit code 2)."""


def check_store_exists(location: str) -> None:
    """Refuse a GeoPackage path that does not exist (but the demo, built on first use)."""
    from api.config import is_default_store
    from layers.store import is_postgis_url

    if is_postgis_url(location) or is_default_store(location) or Path(location).exists():
        return
    msg = (
        f"no store at {location}: check the path (a new store is made only by"
        f" `mzgis demo` or with --create) / 存储 {location} 不存在：请检查路径"
        "（仅 mzgis demo 或 --create 会新建存储）"
    )
    raise MissingStoreError(msg)


@contextlib.contextmanager
def opened_store(
    store: str | None, *, create: bool = False, writes: bool = False
) -> Iterator[Store]:
    """Open the store of the ``--store`` option (building the demo first if needed);
    a missing path is refused unless ``create``; a command that ``writes`` says which store
    it writes to (a forgotten ``--store`` writes to the demo)."""
    from layers.store import open_store

    location = resolve_store(store)
    if not create:
        check_store_exists(location)
    build_demo_if_missing(location)
    opened = open_store(location)
    opened.versions_kept = _settings().layer_versions_kept
    if writes:
        err_console().print(f"store / 存储: {opened.url}", markup=False)  # stdout stays clean
    try:
        yield opened
    finally:
        opened.close()


def _user_error_types() -> tuple[type[BaseException], ...]:
    import sqlite3

    from pydantic import ValidationError

    from api.errors import InvalidParameterError
    from geo._errors import AnalysisError
    from layers._errors import LayerError

    return (LayerError, AnalysisError, InvalidParameterError, ValidationError, sqlite3.Error)


def _problem_line(problem: dict[str, Any]) -> str:
    where = "layer / 图层" if problem.get("row") is None else f"row {problem['row']}"
    if problem.get("line") is not None:  # a spreadsheet's row, as Excel shows it
        ident = f" (id {problem['record_id']!r})" if problem.get("record_id") else ""
        where = f"row {problem['line']}{ident} / 第 {problem['line']} 行"
    field = repr(problem.get("field"))
    if problem.get("column") and problem["column"] != problem.get("field"):
        field += f" (column {problem['column']!r})"
    flag = " (warning / 警告)" if problem.get("severity") == "warning" else ""
    return (
        f"  - {where}, field {field}, value {problem.get('value')!r}: {problem.get('reason')}{flag}"
    )


def report_error(exc: BaseException) -> None:
    """Print a user error: its bilingual message, then its problems one per line."""
    from pydantic import ValidationError

    out = err_console()
    if isinstance(exc, ValidationError):
        lines = [f"  - {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        out.print("invalid setting / 配置无效:", *lines, sep="\n", markup=False)
        return
    from api.errors import error_body

    _, body = error_body(exc)
    out.print(f"error / 错误: {body['detail']}", markup=False)
    rows = [p for p in body.get("problems") or [] if "row" in p]
    for problem in rows:
        out.print(_problem_line(problem), markup=False)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Decorate a command: a user error prints its message and exits with code 1 (a
    missing store: code 2)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except MissingStoreError as exc:
            err_console().print(f"error / 错误: {exc}", markup=False)
            raise typer.Exit(EXIT_NO_STORE) from None
        except Exception as exc:
            if not isinstance(exc, _user_error_types()):
                raise
            report_error(exc)
            raise typer.Exit(EXIT_BAD_INPUT) from None

    return wrapper
