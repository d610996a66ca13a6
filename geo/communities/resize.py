"""The community size adjustment (社区规模调整): flag over-size communities and propose splits.

Communities above the split threshold (default 5,000 households) must split, those above the
resize threshold (default 3,000) are resized; each is divided along its street blocks into
``k`` contiguous, compact parts of households within a band (default 1,000–3,000), ``k``
from the target size (default the middle of the band) or given, every part holding an anchor
(居委会 office, station) when anchors are given. Optionally an under-size neighbour (default
under 1,000 households) in the same street joins the community first. Parts get provisional
codes and names to edit (:mod:`geo.communities.codes`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import AnalysisError, CRSMismatchError, EmptyInputError
from geo.communities._split import split_blocks
from geo.communities.blocks import COUNT_COLUMNS, block_counts, cut_blocks, street_blocks
from geo.communities.codes import CodeBook, part_name
from geo.communities.proposal import Proposal, block_inputs
from geo.communities.result import ResizeResult
from geo.projection import measuring_crs

__all__ = ["community_blocks", "flag_communities", "parts_for", "resize_communities"]

_NEEDED = ("code", "name", "street_code", "households")
#: gap (m) allowed between blocks of neighbouring communities that should touch
_TOUCH_M = 0.5


def flag_communities(
    communities: pd.DataFrame,
    *,
    split_threshold_households: float = 5000,
    resize_threshold_households: float = 3000,
    undersize_households: float = 1000,
) -> pd.DataFrame:
    """Flag every community: ``split`` (above the split threshold), ``resize`` (above the
    resize threshold), ``undersize`` (below ``undersize_households``) or ``ok``.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, ``street_code``, ``households``, ``flag``.
    """
    h = pd.to_numeric(communities["households"], errors="coerce").fillna(0).to_numpy(float)
    flag = np.select(
        [h > split_threshold_households, h > resize_threshold_households, h < undersize_households],
        ["split", "resize", "undersize"],
        "ok",
    )
    out = pd.DataFrame(communities[["code", "name", "street_code"]]).reset_index(drop=True)
    out["households"] = h.astype(np.int64)
    out["flag"] = flag
    return out


def parts_for(households: float, band: tuple[float, float], target: float) -> int:
    """Parts for ``households``: nearest to ``households / target``, kept inside
    ``[ceil(h / upper), floor(h / lower)]`` when that range is not empty."""
    lo, hi = band
    k = max(1, round(households / target))
    least, most = math.ceil(households / hi), math.floor(households / lo)
    if least <= most:
        k = min(max(k, least), most)
    return max(k, 2) if households > hi else k


def _checked(
    communities: gpd.GeoDataFrame, band: tuple[float, float], thresholds: Iterable[float]
) -> None:
    if len(communities) == 0:
        raise EmptyInputError("no communities / 没有社区")
    if communities.crs is None:
        raise CRSMismatchError("communities have no CRS / 社区图层没有坐标系")
    missing = [c for c in _NEEDED if c not in communities.columns]
    if missing:
        msg = f"communities lack {', '.join(missing)} / 社区图层缺少字段：{', '.join(missing)}"
        raise AnalysisError(msg)
    lo, hi = band
    if not (0 < lo < hi):
        msg = f"bad household band {band!r} (0 < lower < upper) / 户数区间无效：{band!r}"
        raise AnalysisError(msg)
    if any(not t > 0 for t in thresholds):
        raise AnalysisError("thresholds must be positive / 阈值须为正数")


def _unknown(codes: Iterable[str], known: pd.Index, what: str) -> None:
    bad = [str(c) for c in codes if c not in known]
    if bad:
        shown = ", ".join(bad[:20])
        msg = f"unknown communities in {what}: {shown} / {what} 含未知社区：{shown}"
        raise AnalysisError(msg)


def _chosen(flags: pd.DataFrame, asked: dict[str, int], codes: Iterable[str] | None) -> list[str]:
    """The communities to split: flagged ``split`` or ``resize``, or given ``parts``; only
    those of ``codes`` when given. Unknown codes are refused."""
    known = pd.Index(flags["code"])
    _unknown(asked, known, "parts")
    wanted = set(flags.loc[flags["flag"].isin(["split", "resize"]), "code"]) | set(asked)
    if codes is not None:
        only = list(codes)
        _unknown(only, known, "codes")
        wanted &= set(only)
    return sorted(wanted)


def _merge_groups(
    communities: gpd.GeoDataFrame, chosen: list[str], undersize: float
) -> dict[str, list[str]]:
    """``{chosen code: [it, its merged under-size neighbours]}``: every under-size community
    joins the chosen neighbour of its street with which it shares the longest boundary."""
    groups = {c: [c] for c in chosen}
    proj = communities.to_crs(measuring_crs(communities)).set_index("code")
    small = proj.index[(proj["households"].astype(float) < undersize) & ~proj.index.isin(chosen)]
    if small.empty:
        return groups
    big = proj.loc[chosen]
    tree = shapely.STRtree(big.geometry.values)
    si, bi = tree.query(proj.loc[small].geometry.values, predicate="dwithin", distance=_TOUCH_M)
    same = proj.loc[small[si], "street_code"].to_numpy() == big["street_code"].to_numpy()[bi]
    si, bi = si[same], bi[same]
    shared = shapely.length(
        shapely.intersection(
            shapely.boundary(proj.loc[small[si]].geometry.values),
            shapely.buffer(shapely.boundary(big.geometry.values[bi]), _TOUCH_M),
        )
    )
    order = np.lexsort((bi, -shared, si))
    first = np.unique(si[order], return_index=True)[1]
    for s, b, length in zip(si[order][first], bi[order][first], shared[order][first], strict=True):
        if length > 2 * _TOUCH_M:
            groups[big.index[b]].append(small[s])
    return groups


def _blocks(
    subset: gpd.GeoDataFrame,
    *,
    roads: gpd.GeoDataFrame | None,
    units: gpd.GeoDataFrame | None,
    households: gpd.GeoDataFrame | None,
    min_area_m2: float,
    min_width_m: float,
) -> gpd.GeoDataFrame:
    """The blocks of ``subset``: the user's units, or street blocks with their counts."""
    if units is not None:
        missing = [c for c in ("block_id", "community_code", "households") if c not in units]
        if missing:
            shown = ", ".join(missing)
            msg = f"the units layer lacks {shown} / 单元图层缺少字段：{shown}"
            raise AnalysisError(msg)
        out = units[units["community_code"].isin(subset["code"])].copy()
        for col in COUNT_COLUMNS:
            out[col] = pd.to_numeric(out.get(col, 0), errors="coerce").fillna(0).astype(np.int64)
        out["estimated"] = out.get("estimated", False)
        out["area_m2"] = shapely.area(out.to_crs(measuring_crs(out)).geometry.values)
        return out.to_crs(subset.crs)
    if roads is None:
        raise AnalysisError("give roads or a units layer / 须提供道路或单元图层")
    blocks = street_blocks(subset, roads, min_area_m2=min_area_m2, min_width_m=min_width_m)
    return block_counts(blocks, subset, households=households)


def _anchor_counts(blocks: gpd.GeoDataFrame, anchors: gpd.GeoDataFrame | None) -> np.ndarray:
    out = np.zeros(len(blocks), dtype=np.int64)
    if anchors is None or len(anchors) == 0:
        return out
    if anchors.crs is None:
        raise CRSMismatchError("anchors have no CRS / 锚点图层没有坐标系")
    pts = shapely.point_on_surface(anchors.to_crs(blocks.crs).geometry.values)
    ai, bi = shapely.STRtree(blocks.geometry.values).query(pts, predicate="intersects")
    first = np.unique(ai, return_index=True)[1]
    np.add.at(out, bi[first], 1)
    return out


def community_blocks(
    communities: gpd.GeoDataFrame,
    codes: Iterable[str],
    *,
    roads: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    households: gpd.GeoDataFrame | None = None,
    anchors: gpd.GeoDataFrame | None = None,
    band_households: tuple[float, float] | None = (1000, 3000),
    min_block_area_m2: float = 3000.0,
    min_block_width_m: float = 20.0,
) -> gpd.GeoDataFrame:
    """The blocks of the communities ``codes`` as a split uses them (projected): the user's
    units or street blocks with their counts, blocks above the band's upper end cut into
    cells of about its lower end (unless ``band_households`` is ``None``), ``anchors`` (how
    many anchor points each holds) and ``cut``. Options as in :func:`resize_communities`."""
    subset = communities[communities["code"].isin(list(codes))]
    blocks = _blocks(
        subset,
        roads=roads,
        units=units,
        households=households,
        min_area_m2=min_block_area_m2,
        min_width_m=min_block_width_m,
    )
    if band_households is not None:
        lo, hi = band_households
        blocks = cut_blocks(blocks, max_households=hi, piece_households=lo)
    blocks = blocks.to_crs(measuring_crs(blocks)) if len(blocks) else blocks
    blocks["anchors"] = _anchor_counts(blocks, anchors)
    blocks["cut"] = blocks.get("cut", False)
    return blocks


def resize_communities(
    communities: gpd.GeoDataFrame,
    *,
    roads: gpd.GeoDataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    households: gpd.GeoDataFrame | None = None,
    anchors: gpd.GeoDataFrame | None = None,
    split_threshold_households: float = 5000,
    resize_threshold_households: float = 3000,
    band_households: tuple[float, float] = (1000, 3000),
    target_households: float | None = None,
    parts: Mapping[str, int] | None = None,
    codes: Iterable[str] | None = None,
    merge_undersize: bool = False,
    undersize_households: float = 1000,
    cut_oversize_blocks: bool = True,
    min_block_area_m2: float = 3000.0,
    min_block_width_m: float = 20.0,
) -> ResizeResult:
    """Flag over-size communities and propose a split of each (see the module docstring).

    Parameters
    ----------
    communities
        The communities layer (``code``, ``name``, ``street_code``, ``households``, and
        population / elderly counts for the report).
    roads, units, households
        Blocks come from ``units`` (the user's own: ``block_id``, ``community_code``,
        ``households``, …) or are cut from ``roads``; their counts from ``households``
        (buildings/courtyards with 户数/人口) or apportioned by area (``estimated``).
    anchors
        Points (居委会 offices, stations): every part must hold one. ``None``: no rule.
    split_threshold_households, resize_threshold_households, undersize_households
        The flags (:func:`flag_communities`).
    band_households, target_households
        Households every part must hold, and the target size giving ``k`` (default the
        middle of the band).
    parts
        ``{community code: k}`` overriding ``k`` (also takes communities not flagged).
    codes
        Only these communities (default: every flagged one).
    merge_undersize
        Join each under-size community to a flagged neighbour of its street first.
    cut_oversize_blocks
        Cut blocks above the band's upper end (no road divides them) into grid cells of
        about the band's lower end, flagged ``cut``; ``False``: such a community is
        infeasible.
    min_block_area_m2, min_block_width_m
        Sliver faces merged into blocks (:func:`~geo.communities.blocks.street_blocks`).

    Returns
    -------
    ResizeResult
    """
    t0 = time.perf_counter()
    band = (float(band_households[0]), float(band_households[1]))
    target = float(target_households or sum(band) / 2)
    thresholds = (split_threshold_households, resize_threshold_households, undersize_households)
    _checked(communities, band, (*thresholds, target))
    flags = flag_communities(
        communities,
        split_threshold_households=split_threshold_households,
        resize_threshold_households=resize_threshold_households,
        undersize_households=undersize_households,
    )
    asked = dict(parts or {})
    chosen = _chosen(flags, asked, codes)
    groups = (
        _merge_groups(communities, chosen, undersize_households)
        if merge_undersize
        else {c: [c] for c in chosen}
    )
    blocks = community_blocks(
        communities,
        [c for g in groups.values() for c in g],
        roads=roads,
        units=units,
        households=households,
        anchors=anchors,
        band_households=band if cut_oversize_blocks else None,
        min_block_area_m2=min_block_area_m2,
        min_block_width_m=min_block_width_m,
    )
    book = CodeBook(communities["code"].astype(str))
    info = {str(r["code"]): r for r in flags.to_dict("records")}
    propose = partial(_propose, target=target, band=band, anchored=anchors is not None, book=book)
    proposals = []
    for code, group in groups.items():
        mine = blocks[blocks["community_code"].isin(group)].reset_index(drop=True)
        row, k = info[str(code)], asked.get(code)
        proposals.append(propose(mine, code=code, group=group, row=row, k=k))
    return ResizeResult(
        flags=flags,
        proposals=tuple(proposals),
        communities=communities,
        band=band,
        seconds=time.perf_counter() - t0,
    )


def _propose(
    blocks: gpd.GeoDataFrame,
    *,
    code: str,
    group: list[str],
    row: Mapping[Any, Any],
    k: int | None,
    target: float,
    band: tuple[float, float],
    anchored: bool,
    book: CodeBook,
) -> Proposal:
    """Split one community (group) into ``k`` parts (``None``: as many as its households
    make at ``target`` each) and name its parts."""
    if k is None:
        k = parts_for(float(blocks["households"].sum()), band, target)
    k = int(k)
    xy, adjacency = block_inputs(blocks)
    anchor_blocks = np.repeat(np.arange(len(blocks)), blocks["anchors"].to_numpy())
    split = split_blocks(
        xy,
        blocks["households"].to_numpy(dtype=float),
        adjacency,
        parts=k,
        band=band,
        anchors=anchor_blocks if anchored else None,
        block_ids=blocks["block_id"].to_numpy(dtype=object),
    )
    n = k if split.plan is not None else 0
    return Proposal(
        community_code=code,
        replaces=tuple(group),
        street_code=str(row["street_code"]),
        flag=str(row["flag"]) if row["flag"] in ("split", "resize") else "asked",
        blocks=blocks,
        split=split,
        codes=tuple(book.take(str(row["street_code"]), n)),
        names=tuple(part_name(str(row["name"]), i) for i in range(n)),
        band=band,
        anchored=anchored,
    )
