"""A proposal for one community (or one with its merged under-size neighbours): its blocks,
the split into parts, provisional codes and names, and hand edits that move blocks.

Every edit names the proposal version it was based on; any other version is refused with
:class:`~geo.zones.StalePlanError` (HTTP 412). Moving a block reuses the zones editor
(:func:`geo.zones.move_units`): the moved block is locked in its new part and only the parts
it touches and their neighbours are rebalanced to keep the band and contiguity.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo._errors import AnalysisError
from geo.communities._split import Split, reasons_of, split_problem
from geo.communities.blocks import COUNT_COLUMNS
from geo.zones import ZonePlan, move_units, polygon_adjacency

__all__ = ["Proposal", "block_inputs", "move_blocks", "rename_parts", "restore_proposal"]

#: gap (m) allowed between blocks that should touch (blocks of neighbouring communities)
TOUCH_M = 0.05


def block_inputs(blocks: gpd.GeoDataFrame) -> tuple[NDArray[np.float64], Any]:
    """Centroids (m) and rook adjacency of projected blocks: what a split is made on."""
    geoms = blocks.geometry.values
    xy = shapely.get_coordinates(shapely.centroid(geoms))
    return xy, polygon_adjacency(geoms, tolerance_m=TOUCH_M)


@dataclass(frozen=True, eq=False)
class Proposal:
    """The proposed parts of one community.

    Attributes
    ----------
    community_code
        The flagged community; ``replaces`` also lists the merged under-size neighbours.
    street_code, flag
        Its street and why it was taken (``split``, ``resize`` or ``asked``).
    blocks
        Its blocks (projected CRS) with counts, ``anchors`` (how many anchors each holds)
        and ``cut`` (edges not along a road).
    split
        The split (:class:`geo.communities._split.Split`); its plan's stations are the
        parts ``part-1 …``.
    codes, names
        Provisional code and editable name of every part.
    band
        Households every part must hold.
    anchored
        Whether every part must hold an anchor.
    version
        1, and one more for every edit.
    """

    community_code: str
    replaces: tuple[str, ...]
    street_code: str
    flag: str
    blocks: gpd.GeoDataFrame
    split: Split
    codes: tuple[str, ...]
    names: tuple[str, ...]
    band: tuple[float, float]
    anchored: bool = False
    version: int = 1

    @property
    def parts(self) -> int:
        return len(self.codes)

    @property
    def status(self) -> str:
        """``proposed`` when every part meets band, contiguity and anchors, else
        ``infeasible`` (see :attr:`reasons`)."""
        return "proposed" if self.split.ok else "infeasible"

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.split.reasons

    def check_version(self, based_on: int) -> None:
        """Raise :class:`~geo.zones.StalePlanError` unless ``based_on`` is the version."""
        if self.split.plan is not None:
            self.split.plan.check_version(based_on)
        elif int(based_on) != self.version:
            from geo.zones import StalePlanError

            raise StalePlanError(based_on=int(based_on), current=self.version)

    def anchor_counts(self) -> NDArray[np.int64] | None:
        """Anchors per block, ``None`` when the proposal has no anchor rule."""
        if not self.anchored:
            return None
        return self.blocks["anchors"].to_numpy(dtype=np.int64)

    def estimated_fields(self) -> str:
        """The counts apportioned by area rather than counted (comma-separated; empty when
        a household layer gave them), as the layers' ``estimated_fields`` says."""
        if not bool(self.blocks["estimated"].any()):
            return ""
        return ",".join(c for c in COUNT_COLUMNS if c in self.blocks.columns)

    def centre_ids(self) -> list[str]:
        """The block id of each part's centre, in part order."""
        ids = self.blocks["block_id"].astype(str).to_numpy()
        return [str(ids[i]) for i in self.split.centres]

    def assignment(self) -> dict[str, str | None]:
        """``{block_id: part code or None}``."""
        ids = self.blocks["block_id"].astype(str)
        return dict(zip(ids, self.block_parts(), strict=True))

    def locked(self) -> list[str]:
        """Blocks held in their part by hand edits."""
        plan = self.split.plan
        if plan is None:
            return []
        ids = self.blocks["block_id"].astype(str).to_numpy()
        return [str(ids[i]) for i in np.flatnonzero(plan.locks >= 0)]

    def block_parts(self) -> NDArray[np.object_]:
        """The part code of every block (``None`` when unassigned)."""
        out = np.full(len(self.blocks), None, dtype=object)
        on = self.split.part >= 0
        out[on] = np.asarray(self.codes, dtype=object)[self.split.part[on]]
        return out

    def parts_gdf(self) -> gpd.GeoDataFrame:
        """One polygon per part (dissolved blocks, projected CRS) with its counts, area,
        perimeter, compactness (Polsby–Popper ``4πA/P²``), anchors and cut blocks."""
        part = self.split.part
        frame = pd.DataFrame(self.blocks.drop(columns="geometry"))
        frame["part"] = part
        frame = frame[part >= 0]
        counts = [c for c in COUNT_COLUMNS if c in frame.columns]
        sums = frame.groupby("part")[[*counts, "anchors", "cut"]].sum()
        geoms = [shapely.union_all(self.blocks.geometry.values[part == j]) for j in sums.index]
        out = gpd.GeoDataFrame(sums.reset_index(drop=True), geometry=geoms, crs=self.blocks.crs)
        out.insert(0, "code", np.asarray(self.codes, dtype=object)[sums.index])
        out.insert(1, "name", np.asarray(self.names, dtype=object)[sums.index])
        out.insert(2, "street_code", self.street_code)
        out.insert(3, "replaces", ",".join(self.replaces))
        out["n_blocks"] = frame.groupby("part").size().to_numpy()
        out["estimated_fields"] = self.estimated_fields()
        out = out.rename(columns={"cut": "cut_blocks"})
        return with_shape_measures(out)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without geometries)."""
        return {
            "community_code": self.community_code,
            "replaces": list(self.replaces),
            "street_code": self.street_code,
            "flag": self.flag,
            "status": self.status,
            "reasons": list(self.reasons),
            "parts": self.parts,
            "codes": list(self.codes),
            "names": list(self.names),
            "code_provisional": True,
            "version": self.version,
            "cost": self.split.cost,
            "bound": self.split.bound,
            "gap": self.split.gap,
            "lp_bound": self.split.lp_bound,
            "lp_gap": self.split.lp_gap,
        }


def with_shape_measures(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` (projected) with ``area_m2``, ``perimeter_m`` and ``compactness``."""
    out = frame.copy()
    area = shapely.area(out.geometry.values)
    perimeter = shapely.length(out.geometry.values)
    out["area_m2"] = area
    out["perimeter_m"] = perimeter
    out["compactness"] = 4 * np.pi * area / np.maximum(perimeter, 1e-9) ** 2
    return out


def move_blocks(proposal: Proposal, moves: Mapping[Hashable, str], *, based_on: int) -> Proposal:
    """Move blocks to other parts (``{block_id: part code}``) and rebalance nearby parts.

    Returns the next version; the moved blocks stay locked in their new part.

    Raises
    ------
    StalePlanError
        ``based_on`` is not the current version (HTTP 412).
    AnalysisError
        Unknown blocks or part codes, or a proposal without a split.
    """
    plan = proposal.split.plan
    if plan is None:
        raise AnalysisError("the proposal has no split to edit / 该方案无分区可编辑")
    proposal.check_version(based_on)
    index = {code: f"part-{j + 1}" for j, code in enumerate(proposal.codes)}
    bad = [str(code) for code in moves.values() if code not in index]
    if bad:
        msg = f"unknown part codes: {', '.join(bad)} / 未知分区代码：{', '.join(bad)}"
        raise AnalysisError(msg)
    edited = move_units(plan, {b: index[c] for b, c in moves.items()}, based_on=based_on)
    split = replace(
        proposal.split,
        part=edited.assignment.copy(),
        plan=edited,
        reasons=tuple(reasons_of(edited, proposal.anchor_counts())),
    )
    return replace(proposal, split=split, version=edited.version)


def rename_parts(proposal: Proposal, names: Mapping[str, str], *, based_on: int) -> Proposal:
    """Give parts new names (``{part code: name}``); the next version."""
    proposal.check_version(based_on)
    bad = [c for c in names if c not in proposal.codes]
    if bad:
        msg = f"unknown part codes: {', '.join(bad)} / 未知分区代码：{', '.join(bad)}"
        raise AnalysisError(msg)
    empty = [c for c, n in names.items() if not str(n).strip()]
    if empty:
        msg = f"empty names for parts: {', '.join(empty)} / 分区名称为空：{', '.join(empty)}"
        raise AnalysisError(msg)
    new = tuple(
        str(names.get(c, n)).strip() for c, n in zip(proposal.codes, proposal.names, strict=True)
    )
    plan = proposal.split.plan
    split = proposal.split
    if plan is not None:
        split = replace(split, plan=plan.revised(plan.assignment.copy(), plan.locks, plan.info))
    return replace(proposal, names=new, split=split, version=proposal.version + 1)


def restore_proposal(
    blocks: gpd.GeoDataFrame,
    *,
    community_code: str,
    replaces: Sequence[str],
    street_code: str,
    flag: str,
    band: tuple[float, float],
    anchored: bool,
    codes: Sequence[str],
    names: Sequence[str],
    centres: Sequence[str],
    assignment: Mapping[str, str | None],
    locked: Sequence[str] = (),
    version: int = 1,
) -> Proposal:
    """A stored proposal rebuilt on its blocks: the parts of ``codes`` centred on the
    blocks ``centres``, ``assignment`` ``{block_id: part code or None}``, ``locked`` blocks
    held by hand, at ``version``.

    Raises
    ------
    AnalysisError
        Centres, blocks or part codes the blocks do not have (the layers changed).
    """
    ids = blocks["block_id"].astype(str).to_numpy(dtype=object)
    centre_index = _stored_centres(pd.Index(ids), centres, assignment, codes)
    xy, adjacency = block_inputs(blocks)
    problem = split_problem(
        xy,
        blocks["households"].to_numpy(dtype=float),
        adjacency,
        centre_index,
        band=band,
        block_ids=ids,
    )
    station = {code: f"part-{j + 1}" for j, code in enumerate(codes)}
    table = pd.DataFrame(
        {
            "unit_id": list(assignment),
            "station_id": [None if c is None else station[c] for c in assignment.values()],
            "locked": [b in set(locked) for b in assignment],
        }
    )
    plan = ZonePlan.from_table(problem, table, version=version)
    counts = blocks["anchors"].to_numpy(dtype=np.int64) if anchored else None
    split = Split(plan.assignment.copy(), centre_index, plan, tuple(reasons_of(plan, counts)))
    return Proposal(
        community_code=community_code,
        replaces=tuple(replaces),
        street_code=street_code,
        flag=flag,
        blocks=blocks,
        split=split,
        codes=tuple(codes),
        names=tuple(names),
        band=band,
        anchored=anchored,
        version=version,
    )


def _stored_centres(
    index: pd.Index,
    centres: Sequence[str],
    assignment: Mapping[str, str | None],
    codes: Sequence[str],
) -> NDArray[np.intp]:
    """Positions in ``index`` (the block ids) of a stored proposal's centres, once its
    blocks, centres and part codes are all found there; :class:`AnalysisError` naming the
    first ten that are not."""
    centre_index = index.get_indexer(pd.Index(list(centres)))
    unknown = [b for b in assignment if b not in index] + [
        c for c, i in zip(centres, centre_index, strict=True) if i < 0
    ]
    bad_codes = [c for c in assignment.values() if c is not None and c not in codes]
    if unknown or bad_codes or len(codes) != len(centres):
        shown = ", ".join(str(b) for b in [*unknown, *bad_codes][:10])
        msg = (
            f"the stored proposal does not match its blocks ({shown}); run it again"
            f" / 已保存方案与当前街区不符（{shown}），请重新生成"
        )
        raise AnalysisError(msg)
    return centre_index.astype(np.intp)
