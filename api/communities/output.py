"""What ``mzgis communities resize`` prints and writes: the proposals table, and the parts,
blocks and tables written to a file whose suffix names the format."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from api.cli_common import console

if TYPE_CHECKING:
    from geo.communities import ResizeResult

__all__ = ["print_result", "write_result"]


def print_result(result: ResizeResult) -> None:
    """One line per proposal: community, households, parts and their households, status,
    gap to the LP bound; then the reasons of infeasible ones."""
    out = console()
    s = result.summary()
    flags = ", ".join(f"{k} {v}" for k, v in sorted(s["flags"].items()))
    out.print(f"flags / 标记: {flags}", markup=False)
    names = result.communities.set_index("code")["name"]
    for p in result.proposals:
        loads = "/".join(str(int(h)) for h in p.parts_gdf().get("households", []))
        gap = "" if p.split.plan is None else f" gap {max(p.split.gap, 0.0):.2%}"
        out.print(
            f"{p.community_code} {names.get(p.community_code, '')} [{p.flag}]"
            f" {int(p.blocks['households'].sum())} → {p.parts} ({loads or '-'})"
            f" {p.status}{gap}",
            markup=False,
        )
        for reason in p.reasons:
            out.print(f"    {reason}", markup=False)
    out.print(
        f"proposed / 已生成方案 {s['proposed']} of {s['proposals']},"
        f" infeasible / 不可行 {s['infeasible']}, {s['seconds']:.2f} s",
        markup=False,
    )


def write_result(result: ResizeResult, out: Path, *, store: str = "") -> list[Path]:
    """Write the parts, the blocks and the tables. ``.gpkg``: layers ``parts`` and
    ``blocks``; ``.xlsx``: one workbook (summary, before/after, validation, parts, flags,
    by :mod:`layers.io.sheets`); any other format: the parts in ``out`` and the blocks
    beside it (``<stem>_blocks<suffix>``)."""
    from layers.io import write_file

    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        return [_write_workbook(result, out, store=store)]
    blocks = result.blocks_gdf()
    if suffix == ".gpkg":
        write_file(result.parts_gdf(), out, layer="parts")
        write_file(blocks, out, layer="blocks")
        return [out]
    target = out.with_name(f"{out.stem}_blocks{out.suffix}")
    return [write_file(result.parts_gdf(), out), write_file(blocks, target)]


def _write_workbook(result: ResizeResult, out: Path, *, store: str) -> Path:
    from api.communities.service import workbook_sheets
    from layers.io.sheets import Sheet, has_estimates, summary_sheet, write_workbook

    s = result.summary()
    rows = [
        ("标记", "flags", "，".join(f"{k} {v}" for k, v in s["flags"].items())),
        ("方案数", "proposals", s["proposals"]),
        ("已生成", "proposed", s["proposed"]),
        ("不可行", "infeasible", s["infeasible"]),
        ("最大差距", "largest gap", f"{s['max_gap']:.2%}"),
    ]
    summary = summary_sheet(
        "社区规模调整 community size adjustment",
        rows,
        store=store,
        estimated=has_estimates(result.flags),
    )
    tables = [Sheet.titled(name, table) for name, table in workbook_sheets(result).items()]
    return write_workbook([summary, *tables], out)
