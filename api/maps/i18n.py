"""The words the maps show, in Chinese (default) and English."""

from __future__ import annotations

from typing import Literal

from layers.schema import get_schema

__all__ = ["LANGS", "Lang", "kind_label", "parse_lang", "pick", "text"]

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

_TEXTS: dict[str, tuple[str, str]] = {
    "layers_title": ("民政设施与区划图层", "Civil-affairs facilities and divisions"),
    "basemap": ("数据底图（道路与区划）", "Data basemap (roads and divisions)"),
    "tiles": ("内网瓦片底图", "Intranet tile basemap"),
    "legend": ("图例", "Legend"),
    "roads_major": ("主干道", "Major roads"),
    "roads_medium": ("次干道、支路", "Secondary and tertiary roads"),
    "roads_minor": ("街巷、步行道", "Lanes and footways"),
    "district_boundary": ("区界", "District boundary"),
    "street_boundary": ("街道界", "Street boundary"),
    "fullscreen": ("全屏", "Full screen"),
    "exit_fullscreen": ("退出全屏", "Exit full screen"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "estimated": ("估算", "estimated"),
    "estimated_note": (
        "标“估算”的数值为演示估算，非官方数据",
        "values marked “estimated” are demo estimates, not official",
    ),
    "features": ("个", "features"),
    "other": ("其他", "other"),
    "maps_index": ("地图", "Maps"),
    "made_at": ("生成时间（北京时间）", "Made at (Beijing time)"),
    "print_notice": (
        "数据说明：演示数据中的人口、设施容量等为估算值，非官方统计；"
        "底图数据 © OpenStreetMap 贡献者",
        "Data: demo populations and capacities are estimates, not official statistics; "
        "base data © OpenStreetMap contributors",
    ),
    "north": ("北", "N"),
    "export_png": ("导出图片（PNG）", "Export image (PNG)"),
    "osm_attribution": ("© OpenStreetMap 贡献者", "© OpenStreetMap contributors"),
    "data_source": (
        "数据：© OpenStreetMap 贡献者 (ODbL)",
        "Data: © OpenStreetMap contributors (ODbL)",
    ),
}


def parse_lang(value: str | None, *, default: Lang = "zh") -> Lang:
    """``"zh"`` or ``"en"`` from a query value (anything else gives ``default``)."""
    if value == "zh":
        return "zh"
    if value == "en":
        return "en"
    return default


def pick(lang: Lang, zh: str, en: str) -> str:
    """``zh`` or ``en`` by ``lang``: for words a page builds itself (with numbers in them)."""
    return zh if lang == "zh" else en


def text(key: str, lang: Lang) -> str:
    """The text ``key`` in ``lang``."""
    zh, en = _TEXTS[key]
    return zh if lang == "zh" else en


def kind_label(kind: str, lang: Lang) -> str:
    """The label of a layer kind from its schema (``社区养老服务驿站`` / ``Community ...``)."""
    schema = get_schema(kind)
    return schema.zh if lang == "zh" else schema.en[:1].upper() + schema.en[1:]
