"""The legend: one entry per layer (and per category of a categorised layer), drawn with the
same style as the map, as HTML the page script puts in a Leaflet control."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from api.maps.styles import CategoryStyle, LayerStyle

__all__ = ["LegendEntry", "legend_html", "swatch_html"]


@dataclass(frozen=True)
class LegendEntry:
    """One legend line. ``layer`` is the page-script name of the layer it describes (the line
    greys out while that layer is switched off); ``None`` for basemap lines."""

    label: str
    geometry: str
    style: LayerStyle
    layer: str | None = None
    category: CategoryStyle | None = None


def _rgba(color: str, alpha: float) -> str:
    text = color.lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    if len(text) != 6:
        return color
    r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha:.2f})"


def swatch_html(geometry: str, style: LayerStyle, *, fill: str | None = None) -> str:
    """A small square, circle or line drawn like a feature of ``style``."""
    stroke = style.color
    fill_color = fill or style.fill_color or style.color
    border = "dashed" if style.dash else "solid"
    if geometry == "point":
        css = f"background:{fill_color};border:1.5px solid {stroke}"
    elif geometry == "line":
        css = f"border-top:3px {border} {fill or stroke};width:20px"
    else:
        alpha = max(style.fill_opacity, 0.12) if style.fill else 0.0
        css = f"background:{_rgba(fill_color, alpha)};border-color:{fill or stroke};"
        css += f"border-style:{border}"
    return f'<span class="mzgis-swatch mzgis-swatch-{geometry}" style="{css}"></span>'


def _entry_html(entry: LegendEntry) -> str:
    data = f' data-layer="{escape(entry.layer)}"' if entry.layer else ""
    lines = [
        f'<div class="mzgis-legend-item"{data}>'
        f"{swatch_html(entry.geometry, entry.style)}<span>{escape(entry.label)}</span></div>"
    ]
    category = entry.category
    if category is not None:
        for value, color in category.colors.items():
            label = category.labels.get(value, value)
            lines.append(
                f'<div class="mzgis-legend-item mzgis-legend-sub"{data}>'
                f"{swatch_html(entry.geometry, entry.style, fill=color)}"
                f"<span>{escape(label)}</span></div>"
            )
    return "".join(lines)


def legend_html(entries: Sequence[LegendEntry], *, title: str, note: str | None = None) -> str:
    """The legend's HTML: a title, the entries in order, an optional note."""
    body = "".join(_entry_html(e) for e in entries)
    foot = f'<div class="mzgis-legend-note">{escape(note)}</div>' if note else ""
    return f"<h4>{escape(title)}</h4>{body}{foot}"
