"""How each layer kind is drawn: one table of styles, used by every map page.

A :class:`LayerStyle` covers points (circle markers of ``radius_px``), lines and polygons,
so a layer that mixes them (shelters, cemeteries) needs one style. A :class:`CategoryStyle`
colours features by the value of one field (inspection records by condition, zones by
station); the legend lists its values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from typing import Any

__all__ = [
    "CONDITION_COLORS",
    "KIND_STYLES",
    "PALETTE",
    "CategoryStyle",
    "LayerStyle",
    "style_for",
]

#: a qualitative palette (colour-blind friendly, after Okabe-Ito and Tableau 10)
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


@dataclass(frozen=True)
class LayerStyle:
    """Stroke and fill of a layer's features; ``z`` orders layers (higher on top)."""

    color: str = "#3366cc"
    fill_color: str | None = None
    weight: float = 1.5
    opacity: float = 1.0
    fill_opacity: float = 0.3
    radius_px: float = 6.0
    dash: str | None = None
    fill: bool = True
    z: int = 50

    def to_js(self) -> dict[str, Any]:
        """Leaflet path options (camelCase) plus ``radius`` and ``z``."""
        return {
            "color": self.color,
            "fillColor": self.fill_color or self.color,
            "weight": self.weight,
            "opacity": self.opacity,
            "fillOpacity": self.fill_opacity,
            "radius": self.radius_px,
            "dashArray": self.dash,
            "fill": self.fill,
            "z": self.z,
        }


@dataclass(frozen=True)
class CategoryStyle:
    """Colour features by ``field``: explicit ``colors`` per value (listed in the legend,
    labelled by ``labels`` or the value itself), or, for values not listed, a colour picked
    from ``palette`` by the value (zones by station) or ``other_color`` when no palette."""

    field: str
    colors: Mapping[str, str] = dataclass_field(default_factory=dict)
    labels: Mapping[str, str] = dataclass_field(default_factory=dict)
    palette: tuple[str, ...] = ()
    other_color: str = "#9e9e9e"

    def to_js(self) -> dict[str, Any]:
        """The JSON the page script reads."""
        out = asdict(self)
        out["colors"] = dict(self.colors)
        out["labels"] = dict(self.labels)
        out["palette"] = list(self.palette)
        return out


#: a marker inspection's condition (界桩状况) → its colour on every map
CONDITION_COLORS = {
    "完好": "#2e7d32",
    "损坏": "#ef6c00",
    "丢失": "#c62828",
    "移位": "#6a1b9a",
    "遮挡掩埋": "#795548",
    "未到达": "#757575",
}

KIND_STYLES: dict[str, LayerStyle] = {
    "districts": LayerStyle("#5e4b8b", weight=2.5, fill_opacity=0.0, dash="8 4", z=10),
    "streets": LayerStyle("#8d7fc0", weight=1.5, fill_opacity=0.0, dash="4 3", z=20),
    "communities": LayerStyle("#c0661f", "#f6b26b", weight=0.8, fill_opacity=0.25, z=30),
    "roads": LayerStyle("#7f7f7f", weight=2.0, fill=False, z=35),
    "cemeteries": LayerStyle("#3d6b21", "#7cb342", weight=1.2, fill_opacity=0.45, z=40),
    "shelters": LayerStyle("#0d47a1", "#42a5f5", weight=1.2, fill_opacity=0.6, radius_px=6, z=50),
    "boundary_lines": LayerStyle("#6a1b9a", weight=3.5, dash="12 5 3 5", fill=False, z=60),
    "markers": LayerStyle("#4a148c", "#ce93d8", weight=1, fill_opacity=0.85, radius_px=3.5, z=70),
    "inspections": LayerStyle("#212121", "#9e9e9e", weight=1, fill_opacity=0.9, z=75),
    "meal_points": LayerStyle("#8a4b00", "#ffa726", weight=1.2, fill_opacity=0.9, z=80),
    "stations": LayerStyle("#8e0000", "#e53935", weight=1.2, fill_opacity=0.9, radius_px=7, z=90),
}

#: kinds coloured by a field by default
KIND_CATEGORIES: dict[str, CategoryStyle] = {
    "inspections": CategoryStyle("condition", colors=CONDITION_COLORS),
}


def style_for(kind: str | None) -> LayerStyle:
    """The style of ``kind`` (a neutral blue for analysis layers without a kind)."""
    return KIND_STYLES.get(kind or "", LayerStyle())
