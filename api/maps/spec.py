"""What the page script is told about one layer: its style, popup fields, title field,
category colours, clustering and the properties shared by every feature.

:func:`prepare_layer` is used both when a page embeds a layer and when the maps router serves
a layer's features on demand, so both agree on which properties travel with each feature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd

from api.maps.display import geometry_family, shared_properties
from api.maps.i18n import Lang, kind_label
from api.maps.legend import LegendEntry
from api.maps.popups import PopupField, popup_fields, title_field, value_labels
from api.maps.styles import KIND_CATEGORIES, CategoryStyle, LayerStyle, style_for

__all__ = ["CLUSTER_THRESHOLD", "PreparedLayer", "prepare_layer"]

#: point layers with more features than this are clustered
CLUSTER_THRESHOLD = 2000


@dataclass(frozen=True)
class PreparedLayer:
    """A layer ready for a page: the script's ``spec``, the per-feature property columns
    ``columns``, and what the legend needs."""

    spec: dict[str, Any]
    columns: list[str]
    label: str
    geometry: str
    style: LayerStyle
    category: CategoryStyle | None

    def legend_entry(self) -> LegendEntry:
        """The layer's legend line (greyed out while the layer is off)."""
        name = str(self.spec["name"])
        return LegendEntry(
            self.label, self.geometry, self.style, layer=name, category=self.category
        )


def prepare_layer(
    gdf: gpd.GeoDataFrame,
    *,
    name: str,
    lang: Lang,
    kind: str | None = None,
    label: str | None = None,
    style: LayerStyle | None = None,
    category: CategoryStyle | None = None,
    fields: Sequence[PopupField] | None = None,
    title: str | None = None,
    cluster: bool | None = None,
) -> PreparedLayer:
    """Fill every option left out from the layer ``kind`` (style, category colours, popup
    fields with the schema's labels and units, title field) and split the properties into
    per-feature columns and values shared by all features."""
    label = label or (kind_label(kind, lang) if kind else name)
    style = style or style_for(kind)
    category = category or KIND_CATEGORIES.get(kind or "")
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    fields = list(fields) if fields is not None else _default_fields(kind, columns, lang)
    title = title or title_field(kind, columns)
    geometry = geometry_family(gdf)
    if cluster is None:
        cluster = geometry == "point" and len(gdf) > CLUSTER_THRESHOLD
    wanted = [f.name for f in fields] + [title or "", category.field if category else ""]
    varying, shared = shared_properties(gdf, [*wanted, "estimated_fields"])
    spec = {
        "name": name,
        "label": label,
        "style": style.to_js(),
        "category": category.to_js() if category else None,
        "fields": [f.to_js() for f in fields],
        "values": value_labels([f.name for f in fields], lang),
        "title": title,
        "interactive": True,
        "cluster": cluster,
        "common": shared,
        "total": len(gdf),
    }
    return PreparedLayer(spec, varying, label, geometry, style, category)


def _default_fields(kind: str | None, columns: Sequence[str], lang: Lang) -> list[PopupField]:
    if kind is not None:
        return popup_fields(kind, lang, columns=columns)
    return [PopupField(c, c) for c in columns if c != "estimated_fields"]
