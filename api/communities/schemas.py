"""Request and response bodies of the community resize routes (社区规模调整): a run, its
proposals, stored proposals with their versions and history, and an accepted layer."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from api.schemas import Id, Name, PublicModel, StrictModel
from api.zones.schemas import PlanStamp

__all__ = [
    "AcceptRequest",
    "AcceptedPublic",
    "Move",
    "ProposalEdit",
    "ProposalHistoryPublic",
    "ProposalListPublic",
    "ProposalPublic",
    "ProposalVersionPublic",
    "ResizePublic",
    "ResizeRequest",
    "StoredProposalPublic",
]

Households = Annotated[float, Field(gt=0, le=1_000_000)]


class ResizeRequest(StrictModel):
    """One resize run on the store's layers."""

    communities_layer: Name = Field(default="communities", description="Communities / 社区图层")
    roads_layer: Name = Field(default="roads", description="Roads cutting blocks / 道路图层")
    units_layer: Name | None = Field(
        default=None, description="Own blocks instead of roads / 自备街区图层（代替道路）"
    )
    households_layer: Name | None = Field(
        default=None,
        description="Buildings/courtyards with households, population (else apportioned by"
        " area) / 楼栋或院落户数人口图层（缺省按面积分摊）",
    )
    anchors_layers: list[Name] = Field(
        default_factory=list,
        max_length=5,
        description="Anchor points each part must hold (居委会, stations) / 锚点图层",
    )
    split_threshold_households: Households = Field(default=5000, description="拆分阈值（户）")
    resize_threshold_households: Households = Field(default=3000, description="调整阈值（户）")
    band_lower_households: Households = Field(default=1000, description="分区户数下限")
    band_upper_households: Households = Field(default=3000, description="分区户数上限")
    target_households: Households | None = Field(
        default=None, description="Target part size (default mid-band) / 目标规模"
    )
    parts: dict[Id, Annotated[int, Field(ge=1, le=50)]] = Field(
        default_factory=dict, max_length=1000, description="{code: k} / 指定分区数"
    )
    codes: list[Id] | None = Field(
        default=None, max_length=10_000, description="Only these communities / 仅这些社区"
    )
    merge_undersize: bool = Field(
        default=False, description="Merge under-size neighbours first / 合并过小的相邻社区"
    )
    undersize_households: Households = Field(default=1000, description="过小社区阈值（户）")
    cut_oversize_blocks: bool = Field(
        default=True, description="Cut blocks above the band / 切分超限街区"
    )

    @model_validator(mode="after")
    def _band(self) -> ResizeRequest:
        if self.band_lower_households >= self.band_upper_households:
            msg = "band_lower_households must be below band_upper_households / 户数下限须小于上限"
            raise ValueError(msg)
        return self


class Move(StrictModel):
    """Move one block to a part."""

    block: Id = Field(description="Block id / 街区编号")
    part: Id = Field(description="Part code (provisional) / 分区代码")


class ProposalEdit(StrictModel):
    """Hand edits of a stored proposal: block moves (rebalancing nearby parts), then names."""

    moves: list[Move] = Field(default_factory=list, max_length=500)
    names: dict[Id, Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=dict, max_length=50, description="{part code: name} / 分区名称"
    )


class AcceptRequest(StrictModel):
    """Accepting a proposal replaces communities: say so."""

    confirm: bool = Field(
        default=False, description="Replace the communities it replaces / 确认替换原社区"
    )


# -- answers ---------------------------------------------------------------------------------

Table = list[dict[str, Any]]


class ProposalPublic(PublicModel):
    """One community's proposal: the parts it would be cut into, with provisional codes."""

    community_code: str
    replaces: list[str] = Field(description="Communities it replaces / 被替换的社区")
    street_code: str | None
    flag: str = Field(description="split / resize / undersize / 标记")
    status: str = Field(description="proposed, infeasible … / 状态")
    reasons: list[str] = Field(description="Why not proposed / 未提出方案的原因")
    parts: int
    codes: list[str] = Field(description="Provisional codes / 暂定代码")
    names: list[str]
    code_provisional: bool
    version: int
    cost: float | None
    bound: float | None = Field(description="Lower bound of the cost / 目标下界")
    gap: float | None
    lp_bound: float | None
    lp_gap: float | None


class ResizeProposalPublic(ProposalPublic):
    """A proposal of a run; ``proposal_id`` when the run was saved (``null`` for one
    without parts)."""

    proposal_id: str | None = None


class ResizeSummaryPublic(PublicModel):
    """Counts of a run."""

    flags: dict[str, int] = Field(description="Communities by flag / 各标记社区数")
    proposals: int
    proposed: int
    infeasible: int
    max_gap: float | None
    seconds: float


class ResizePublic(PublicModel):
    """A resize run: summary, flagged communities, proposals, validation, before/after and,
    with ``geometry``, the proposed parts and their blocks as GeoJSON."""

    summary: ResizeSummaryPublic
    band_households: list[float]
    flags: Table
    proposals: list[ResizeProposalPublic]
    validation: Table
    before_after: Table
    parts: dict[str, Any] | None = Field(default=None, description="GeoJSON / 分区")
    blocks: dict[str, Any] | None = Field(default=None, description="GeoJSON / 街区")


class StoredProposalPublic(ProposalPublic):
    """One version of a stored proposal (send ``version`` as If-Match to edit or accept it),
    its block → part assignment and who made and changed it."""

    proposal_id: str
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str
    inputs_changed: bool = Field(description="Layers changed since / 输入图层已更新")
    notes: list[str]
    assignment: dict[str, str | None] = Field(description="{block: part code} / 街区所属分区")


class ProposalSummaryPublic(PublicModel):
    """What a list shows of a proposal."""

    community_code: str
    replaces: list[str]
    parts: int
    households: list[int] = Field(description="Per part / 各分区户数")
    status: str


class ProposalVersionPublic(PlanStamp):
    """A stored proposal, or one version in its history (``plan_id`` is its id)."""

    summary: ProposalSummaryPublic
    changed: list[str] = Field(description="Blocks moved / 移动的街区")


class ProposalListPublic(PublicModel):
    """Saved proposals, newest first."""

    proposals: list[ProposalVersionPublic]
    limit: int
    offset: int


class ProposalHistoryPublic(PublicModel):
    """Every version of a proposal, oldest first."""

    proposal_id: str
    versions: list[ProposalVersionPublic]


class AcceptedLayerPublic(PublicModel):
    """The communities layer an accepted proposal wrote."""

    name: str
    kind: str
    count: int
    bbox: list[float] | None
    geometry_type: str
    version: int
    updated_at: str


class AcceptedPublic(PublicModel):
    """An accepted proposal: the new layer version and the communities it dropped."""

    layer: AcceptedLayerPublic
    dropped: list[str]
    accepted_by: str
