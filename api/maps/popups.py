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

__all__ = ["PopupField", "popup_fields", "title_field"]

#: columns never listed: provenance flags are shown as "estimated" marks instead, and node
#: ids of the walking network mean nothing to a reader
_HIDDEN = frozenset({"estimated_fields", "u", "v"})


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
