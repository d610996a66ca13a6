"""Request bodies of the community resize routes (社区规模调整)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from api.schemas import Id, Name, StrictModel

__all__ = ["AcceptRequest", "Move", "ProposalEdit", "ResizeRequest"]

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
