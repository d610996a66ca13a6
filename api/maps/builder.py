"""The shared map builder: one place for styles, popups, legend, basemap and assets.

Every web map of mzgis (the layers map, coverage, siting, zones, inspection) is built the same
way::

    builder = MapBuilder(title="覆盖分析", lang="zh")
    builder.add_basemap(basemap_data(store))
    builder.add_layer(communities, kind="communities")
    builder.add_layer(gaps, name="gaps", label="未覆盖社区", style=LayerStyle("#c62828"))
    html = builder.render()

Features are drawn on a canvas by the page script (``/static/mzgis/map.js``); large point
layers are clustered; polygons and lines are simplified (in metres) and rounded for display.
``builder.map`` is the underlying :class:`folium.Map` for anything else folium offers; its
assets are made local when rendering, and an asset with no local copy is an error.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from html import escape

import folium
import geopandas as gpd
from folium.plugins import Fullscreen
from jinja2 import Template

from api.maps.assets import localize
from api.maps.basemap import BasemapData, polygon_labels, road_labels, road_tiers
from api.maps.display import features_text
from api.maps.elements import (
    FeatureLayer,
    LabelLayer,
    Measure,
    PageFinish,
    PageSetup,
    fill_payloads,
)
from api.maps.i18n import Lang, text
from api.maps.legend import LegendEntry, legend_html
from api.maps.popups import PopupField
from api.maps.spec import PreparedLayer, prepare_layer
from api.maps.styles import CategoryStyle, LayerStyle
from api.maps.tiles import TileLayer

__all__ = ["MapBuilder", "page_nonce"]

_BASE = {
    "major": LayerStyle("#b9b3a6", weight=3.2, fill=False, z=3),
    "medium": LayerStyle("#c9c4b8", weight=2.0, fill=False, z=2),
    "minor": LayerStyle("#dcd8ce", weight=1.0, fill=False, z=1),
    "districts": LayerStyle("#8a78b8", weight=2.6, fill=False, dash="10 4", z=5),
    "streets": LayerStyle("#b4aad4", weight=1.2, fill=False, dash="4 3", z=4),
}
Bounds = tuple[float, float, float, float]


class MapBuilder:
    """Build one map page.

    Parameters
    ----------
    title : str
        The page title, shown in a box on the map.
    lang : {"zh", "en"}
        The language of labels, popups, legend and controls.
    subtitle : str, optional
        A second line under the title.
    tile_url, tile_attribution : str, optional
        An intranet XYZ tile server; when given it is the base layer and the data basemap
        starts switched off. None by default: no map loads anything from the internet.
    """

    def __init__(
        self,
        *,
        title: str,
        lang: Lang = "zh",
        subtitle: str | None = None,
        tile_url: str | None = None,
        tile_attribution: str | None = None,
    ) -> None:
        self.lang: Lang = lang
        self.title, self.subtitle = title, subtitle
        self.tile_url = tile_url
        self.map = folium.Map(tiles=None, prefer_canvas=True, maxZoom=19, zoomSnap=0.25)
        self.map.get_root().title = title  # type: ignore[attr-defined]  # escaped by _PAGE
        self._setup = PageSetup({"lang": lang})
        self.map.add_child(self._setup)
        if tile_url:
            folium.TileLayer(
                tiles=tile_url,
                attr=tile_attribution or text("tiles", lang),
                name=text("tiles", lang),
                overlay=False,
                max_zoom=19,
            ).add_to(self.map)
        Fullscreen(
            title=text("fullscreen", lang), title_cancel=text("exit_fullscreen", lang)
        ).add_to(self.map)
        Measure(
            primary_length_unit="meters",
            secondary_length_unit="kilometers",
            primary_area_unit="sqmeters",
            secondary_area_unit="hectares",
        ).add_to(self.map)
        self.layers: dict[str, FeatureLayer] = {}
        self.legend: list[LegendEntry] = []
        #: the initial view (lon/lat bounds); default: the basemap's boundaries, else all layers
        self.view: Bounds | None = None
        self._boundary_extent: Bounds | None = None
        self._base_legend: list[LegendEntry] = []
        self._extents: list[Bounds] = []
        self._estimated = False
        #: division codes -> names, shown beside codes in popups (filled by the basemap)
        self.code_names: dict[str, str] = {}

    # -- layers ---------------------------------------------------------------------------

    def add_layer(
        self,
        gdf: gpd.GeoDataFrame,
        *,
        kind: str | None = None,
        name: str | None = None,
        label: str | None = None,
        style: LayerStyle | None = None,
        category: CategoryStyle | None = None,
        fields: Sequence[PopupField] | None = None,
        title: str | None = None,
        show: bool = True,
        cluster: bool | None = None,
        tolerance_m: float = 1.0,
        source_url: str | None = None,
        group: str | None = None,
    ) -> FeatureLayer:
        """Add a toggleable layer with popups and a legend line.

        ``kind`` (a layer kind of :mod:`layers.schema`) gives the default style, popup fields
        (labels and units from the schema) and label. ``name`` must be unique on the page
        (default: the kind). Point layers larger than
        :data:`api.maps.spec.CLUSTER_THRESHOLD` are clustered unless ``cluster`` says
        otherwise. A layer that starts hidden (``show=False``) with a ``source_url`` is not
        embedded: the page fetches its features from that URL of its own server
        (:func:`api.maps.display.features_text` of the columns that
        :func:`api.maps.spec.prepare_layer` names) the first time it is shown. Layers of one
        ``group`` are shown one at a time (switching one on switches the others off).
        """
        name = name or kind or f"layer{len(self.layers) + 1}"
        if name in self.layers:
            msg = f"a layer named {name!r} is already on this map"
            raise ValueError(msg)
        prepared = prepare_layer(
            gdf,
            name=name,
            lang=self.lang,
            kind=kind,
            label=label,
            style=style,
            category=category,
            fields=fields,
            title=title,
            cluster=cluster,
        )
        spec = prepared.spec if group is None else {**prepared.spec, "group": group}
        if source_url is not None and not show:
            spec = {**spec, "url": source_url}
            data = "null"
        else:
            data = features_text(gdf, fields=prepared.columns, tolerance_m=tolerance_m)
        count = f'<span class="mzgis-count">({len(gdf):,})</span>'
        layer = FeatureLayer(
            data, spec, name=f"{_braces(escape(prepared.label))} {count}", show=show
        )
        self.map.add_child(layer)
        self.layers[name] = layer
        self.legend.append(prepared.legend_entry())
        self._note_extent(gdf)
        self._estimated |= _has_estimates(gdf)
        return layer

    def add_tiled_layer(
        self,
        prepared: PreparedLayer,
        *,
        bounds: Bounds | None,
        show: bool = True,
        estimated: bool = False,
    ) -> TileLayer:
        """Add a layer drawn from vector tiles (:func:`api.maps.tiles.tiled_layer` made
        ``prepared``), with its legend line; ``bounds`` (lon/lat) joins the initial view."""
        count = f'<span class="mzgis-count">({prepared.spec["total"]:,})</span>'
        label = f"{_braces(escape(prepared.label))} {count}"
        layer = TileLayer({**prepared.spec, "show": show}, name=label, show=show)
        self.map.add_child(layer)
        self.legend.append(prepared.legend_entry())
        if bounds is not None:
            self._extents.append(bounds)
        self._estimated |= estimated
        return layer

    def add_basemap(self, data: BasemapData, *, tolerance_m: float = 2.0) -> folium.FeatureGroup:
        """Add the data basemap (roads, district and street boundaries and their names) as the
        bottom overlay; switched off at start when a tile server is configured."""
        group = folium.FeatureGroup(
            name=text("basemap", self.lang), overlay=True, show=not self.tile_url
        )
        if data.roads is not None and not data.roads.empty:
            tiers = road_tiers(data.roads, tolerance_m=tolerance_m)
            for tier in tiers["tier"]:
                rows = tiers[tiers["tier"] == tier]
                attribution = text("osm_attribution", self.lang)
                self._base_layer(group, rows, f"roads_{tier}", _BASE[tier], attribution=attribution)
            group.add_child(LabelLayer(road_labels(data.roads), cls="road", name="labels-road"))
        for kind, frame in (("streets", data.streets), ("districts", data.districts)):
            if frame is not None and {"code", "name"} <= set(frame.columns):
                self.code_names.update(
                    zip(frame["code"].astype(str), frame["name"].astype(str), strict=True)
                )
            if frame is not None and not frame.empty:
                self._base_layer(group, frame, kind, _BASE[kind], tolerance_m=tolerance_m)
                self._note_extent(frame, basemap=True)
                cls = "street" if kind == "streets" else "district"
                group.add_child(LabelLayer(polygon_labels(frame), cls=cls, name=f"labels-{cls}"))
        self.map.add_child(group)
        return group

    def _base_layer(
        self,
        group: folium.FeatureGroup,
        frame: gpd.GeoDataFrame,
        key: str,
        style: LayerStyle,
        *,
        tolerance_m: float = 0.0,
        attribution: str | None = None,
    ) -> None:
        spec: dict[str, object] = {
            "name": f"base-{key}",
            "label": key,
            "style": style.to_js(),
            "category": None,
            "fields": [],
            "title": None,
            "interactive": False,
            "cluster": False,
            "pane": "mzgis-base",
            "attribution": attribution,
            "total": len(frame),
        }
        data = features_text(frame, fields=[], tolerance_m=tolerance_m, decimals=5)
        group.add_child(FeatureLayer(data, spec, name=key, control=False, show=True))
        self._base_legend.append(LegendEntry(_BASE_LABELS[key](self.lang), "line", style))

    def _note_extent(self, gdf: gpd.GeoDataFrame, *, basemap: bool = False) -> None:
        if gdf.empty:
            return
        x0, y0, x1, y1 = (float(v) for v in gdf.to_crs(4326).total_bounds)
        if basemap:
            self._boundary_extent = _union(self._boundary_extent, (x0, y0, x1, y1))
        self._extents.append((x0, y0, x1, y1))

    # -- page -----------------------------------------------------------------------------

    def render(self) -> str:
        """The page's HTML: layer control, title, legend and view added, assets made local."""
        for key in ("mzgis_layer_control", "mzgis_finish"):
            self.map._children.pop(key, None)
        # collapsed: the page script opens it where the screen is wide enough (map.js)
        control = folium.LayerControl(collapsed=True, position="topright")
        self.map.add_child(control, name="mzgis_layer_control")
        self.map.add_child(PageFinish(self._finish_options()), name="mzgis_finish")
        self._setup.set_options(
            {"lang": self.lang, "bounds": self._initial_bounds(), "codeNames": self.code_names}
        )
        root = self.map.get_root()
        localize(root, lang=self.lang)
        nonce = secrets.token_urlsafe(18)
        root._template = _PAGE
        root.nonce = nonce  # type: ignore[attr-defined]
        return fill_payloads(_switches_nonce(str(root.render()), nonce), root)

    def _initial_bounds(self) -> list[list[float]] | None:
        """``[[south, west], [north, east]]`` of the first view."""
        bounds = self.view or self._boundary_extent
        if bounds is None:
            for extent in self._extents:
                bounds = _union(bounds, extent)
        return [[bounds[1], bounds[0]], [bounds[3], bounds[2]]] if bounds else None

    def _finish_options(self) -> dict[str, object]:
        title = f"{escape(self.title)}"
        if self.subtitle:
            title += f"<small>{escape(self.subtitle)}</small>"
        note = text("estimated_note", self.lang) if self._estimated else None
        return {
            "title": title,
            "print": {
                "madeAt": text("made_at", self.lang),
                "notice": text("print_notice", self.lang),
                "north": text("north", self.lang),
                "export": text("export_png", self.lang),
            },
            "legend": legend_html(
                [*self.legend, *self._base_legend], title=text("legend", self.lang), note=note
            ),
        }


_BASE_LABELS = {
    "roads_major": lambda lang: text("roads_major", lang),
    "roads_medium": lambda lang: text("roads_medium", lang),
    "roads_minor": lambda lang: text("roads_minor", lang),
    "districts": lambda lang: text("district_boundary", lang),
    "streets": lambda lang: text("street_boundary", lang),
}


def _has_estimates(gdf: gpd.GeoDataFrame) -> bool:
    if "estimated_fields" not in gdf:
        return False
    return bool(gdf["estimated_fields"].fillna("").astype(str).str.len().gt(0).any())


def _union(a: Bounds | None, b: Bounds) -> Bounds:
    if a is None:
        return b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


#: folium's page (branca's Figure template) with the title escaped, a marker naming the
#: page's script nonce first in the head, and that nonce on the page script
_PAGE = Template(
    "<!DOCTYPE html>\n<html>\n<head>\n"
    '<meta name="mzgis-script-nonce" content="{{ this.nonce }}">\n'
    "{% if this.title %}<title>{{ this.title|e }}</title>{% endif %}"
    "    {{ this.header.render(**kwargs) }}\n</head>\n"
    "<body>\n    {{ this.html.render(**kwargs) }}\n</body>\n"
    '<script nonce="{{ this.nonce }}">\n    {{ this.script.render(**kwargs) }}\n</script>\n'
    "</html>\n"
)
_NONCE_MARK = re.compile(
    r'<!DOCTYPE html>\n<html>\n<head>\n<meta name="mzgis-script-nonce" content="([\w-]+)">'
)
_SWITCHES = re.compile(
    r"<script>(\s*L_NO_TOUCH = (?:true|false);\s*L_DISABLE_3D = (?:true|false);\s*)</script>"
)
_BARE_SCRIPT = re.compile(r"<script>")


def page_nonce(html: str) -> str | None:
    """The script nonce of a page :meth:`MapBuilder.render` made (read at its very start,
    where no page content can reach), or ``None`` for any other HTML."""
    found = _NONCE_MARK.match(html)
    return found.group(1) if found else None


def _switches_nonce(html: str, nonce: str) -> str:
    """``html`` with the nonce on folium's one inline script of the head (Leaflet's global
    switches, fixed text). Any other inline script without a nonce is a bug: refused."""
    head, sep, rest = html.partition("</head>")
    head = _SWITCHES.sub(lambda m: f'<script nonce="{nonce}">{m.group(1)}</script>', head, count=1)
    html = head + sep + rest
    if _BARE_SCRIPT.search(html):
        msg = "the map page holds an inline script without the page's nonce"
        raise ValueError(msg)
    return html


def _braces(text: str) -> str:
    """HTML text with ``{`` and ``}`` as entities (folium compiles layer names as templates)."""
    return text.replace("{", "&#123;").replace("}", "&#125;")
