"""What a feature's popup lists: fields with their label and unit in the page's language.

The page script builds the popup when it opens (so 10,000 features cost nothing until
clicked); Python only says which fields, in which order, with which labels and units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from api.maps.i18n import Lang
from layers.schema import get_schema

__all__ = ["VALUE_LABELS", "PopupField", "popup_fields", "title_field", "value_labels"]

#: columns never listed: provenance flags are shown as "estimated" marks instead, and node
#: ids of the walking network mean nothing to a reader
_HIDDEN = frozenset({"estimated_fields", "u", "v"})


#: stored values shown in the page's language: field -> value -> (中文, English)
VALUE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "fix_type": {
        "single": ("单点定位", "single"),
        "differential": ("差分定位", "differential"),
        "RTK": ("RTK", "RTK"),
        "manual": ("手动放置", "placed by hand"),
    },
    "review_state": {
        "received": ("已接收", "received"),
        "has_issues": ("有问题", "has issues"),
        "approved": ("已通过", "approved"),
        "rejected": ("已退回", "rejected"),
    },
    "highway": {
        "motorway": ("高速公路", "motorway"),
        "trunk": ("快速路", "trunk road"),
        "primary": ("主干道", "primary road"),
        "secondary": ("次干道", "secondary road"),
        "tertiary": ("支路", "tertiary road"),
        "unclassified": ("一般道路", "minor road"),
        "residential": ("居住区道路", "residential street"),
        "living_street": ("生活街道", "living street"),
        "service": ("内部道路", "service road"),
        "pedestrian": ("步行街", "pedestrian street"),
        "footway": ("人行道", "footway"),
        "cycleway": ("自行车道", "cycleway"),
        "path": ("小路", "path"),
        "steps": ("台阶", "steps"),
        "track": ("小道", "track"),
        "other": ("其他", "other"),
    },
    "source": {
        "estimated demo inspection campaign": ("演示用估算联检数据", "estimated demo campaign"),
    },
}


def value_labels(fields: Iterable[str], lang: Lang) -> dict[str, dict[str, str]]:
    """The labels of stored values of ``fields`` in ``lang`` (for the page script)."""
    pick = 0 if lang == "zh" else 1
    return {
        f: {value: pair[pick] for value, pair in VALUE_LABELS[f].items()}
        for f in fields
        if f in VALUE_LABELS
    }


@dataclass(frozen=True)
class PopupField:
    """One line of a popup: ``label: value unit``."""

    name: str
    label: str
    unit: str = ""
    dtype: str = "str"

    def to_js(self) -> list[Any]:
        """``[name, label, unit, dtype]``, the compact form the page script reads."""
        return [self.name, self.label, self.unit, self.dtype]


def popup_fields(
    kind: str, lang: Lang, *, columns: Iterable[str] | None = None
) -> list[PopupField]:
    """The popup fields of a layer ``kind``, from its schema's labels and units, limited to
    ``columns`` when given (the columns the frame actually has)."""
    schema = get_schema(kind)
    present = None if columns is None else set(columns)
    return [
        PopupField(f.name, f.zh if lang == "zh" else f.en, f.unit, f.dtype)
        for f in schema.all_fields
        if f.name not in _HIDDEN and (present is None or f.name in present)
    ]


def title_field(kind: str | None, columns: Iterable[str]) -> str | None:
    """The field that titles a popup: ``name`` when present, else the layer's id."""
    cols = set(columns)
    if "name" in cols:
        return "name"
    if kind is not None:
        id_field = get_schema(kind).id_field
        if id_field in cols:
            return id_field
    return None
