"""The words of the dashboards (``/dashboards/...``), in Chinese and English: the templates
read them from ``L``, the page script from the page's JSON labels block."""

from __future__ import annotations

from api.web.i18n import Lang

__all__ = ["DASHBOARD_LABELS", "labels_for"]

DASHBOARD_LABELS: dict[str, tuple[str, str]] = {
    "coverage_title": ("覆盖分析看板", "Coverage dashboard"),
    "zones_title": ("责任片区看板", "Responsibility zones dashboard"),
    "facilities": ("设施图层", "Facilities"),
    "tiers": ("服务半径（米）", "Radii (m)"),
    "mode": ("距离", "Distance"),
    "mode_network": ("步行距离", "walking"),
    "mode_euclidean": ("直线距离", "straight line"),
    "apply": ("更新", "Update"),
    "print": ("打印", "Print"),
    "open_map": ("打开地图", "Open the map"),
    "printed_at": ("生成时间（北京时间）", "Made at (Beijing time)"),
    "headline": ("覆盖概况", "At a glance"),
    "covered_within": ("{tier} 内覆盖", "covered within {tier}"),
    "people": ("人", "people"),
    "elderly_60_plus": ("60 岁以上老人", "elderly 60+"),
    "population": ("人口", "population"),
    "chart_streets": ("各街道覆盖率", "Covered share by street"),
    "chart_distance": (
        "到最近设施的距离（社区数）",
        "Distance to the nearest facility (communities)",
    ),
    "chart_gaps": (
        "缺口排名：未覆盖老人最多的社区",
        "Gaps: communities with the most elderly uncovered",
    ),
    "chart_workload": ("各驿站工作量与允许区间", "Each station's workload against its band"),
    "walking": ("步行", "walking"),
    "straight": ("直线", "straight line"),
    "communities": ("社区数", "communities"),
    "metres": ("米", "m"),
    "uncovered": ("未覆盖", "uncovered"),
    "table_streets": ("街道明细", "Streets"),
    "street": ("街道", "Street"),
    "code": ("代码", "Code"),
    "total": ("合计", "Total"),
    "share": ("覆盖率", "Covered"),
    "notice": (
        "演示数据中的人口、老人数与设施容量为估算值，非官方统计；距离基于所示路网。",
        "Population, elderly and capacities in the demo data are estimates, not official "
        "statistics; distances follow the network shown.",
    ),
    "station": ("驿站", "Station"),
    "workload": ("工作量", "Workload"),
    "capacity": ("服务能力", "Capacity"),
    "band": ("允许区间", "Band"),
    "plan": ("方案", "Plan"),
    "in_band": ("区间内", "in band"),
    "over": ("超出", "over"),
    "under": ("不足", "under"),
}


def labels_for(lang: Lang) -> dict[str, str]:
    """Every dashboard label in ``lang``."""
    index = 0 if lang == "zh" else 1
    return {key: pair[index] for key, pair in DASHBOARD_LABELS.items()}
