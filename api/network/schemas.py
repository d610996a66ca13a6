"""The answer of ``GET /analyses/network/quality``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["NetworkQualityResponse"]


class NetworkQualityResponse(BaseModel):
    """The quality report of the store's walking network."""

    summary: dict[str, Any] = Field(
        description=(
            "Network figures (nodes, edges, components, dead ends), findings by kind and"
            " severity, the detour distribution, the thresholds"
            " / 路网概况、各类问题数量、绕行分布、阈值"
        )
    )
    lines: list[str] = Field(description="The report in a few bilingual lines / 报告摘要")
    findings: dict[str, Any] = Field(
        description=(
            "Findings as GeoJSON, worst first: kind, severity, explanation_en/zh, measures,"
            " lon/lat / 问题清单（GeoJSON，按严重程度排序）"
        )
    )
    findings_total: int = Field(description="Findings in all (before limit) / 问题总数")
