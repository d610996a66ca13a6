"""Large layers drawn from vector tiles: the folium element that asks the page script for a
tiled layer (:func:`mzgis.tileLayer` in ``/static/mzgis/map.js``, on Leaflet.VectorGrid) and
the spec it is given, made like the spec of an embedded layer so that both look and answer
clicks the same way."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from api.maps.assets import MZGIS_CSS, MZGIS_JS, vendor_url
from api.maps.elements import to_js
from api.maps.i18n import Lang
from api.maps.spec import PreparedLayer, prepare_layer
from api.maps.styles import KIND_CATEGORIES
from layers.schema import SCHEMAS, get_schema

__all__ = [
    "TILED_MIN_FEATURES",
    "TILE_PATH",
    "TileLayer",
    "tile_columns",
    "tiled_layer",
    "tiles_template",
]

#: layers with more features than this are drawn from vector tiles on the layers map
TILED_MIN_FEATURES = 20_000
#: the path of a layer's tiles (OGC API - Tiles, web mercator), served by api/layers/tiles.py
TILE_PATH = "/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}"
#: where the page reads a clicked feature's properties (OGC API - Features, one item)
ITEMS_PATH = "/collections/{layer}/items/"
_VECTORGRID_JS = vendor_url("leaflet.vectorgrid", "Leaflet.VectorGrid.bundled.min.js")


def tiles_template(layer: str) -> str:
    """The ``{z}/{x}/{y}`` URL template of layer ``layer``'s tiles (for Leaflet)."""
    return TILE_PATH.replace("{layer}", layer)


def tile_columns(kind: str) -> list[str]:
    """The properties a tile of a ``kind`` layer carries: the feature's id (its popup is
    read from the layer's items when clicked, so tiles stay small) and the field that
    colours the kind (:data:`api.maps.styles.KIND_CATEGORIES`, as the page styles it)."""
    category = KIND_CATEGORIES.get(kind)
    names = [
        get_schema(kind).id_field if kind in SCHEMAS else "",
        category.field if category else "",
    ]
    return list(dict.fromkeys(n for n in names if n))


def tiled_layer(
    sample: gpd.GeoDataFrame,
    *,
    name: str,
    kind: str,
    lang: Lang,
    tiles_url: str,
    total: int,
    label: str | None = None,
) -> PreparedLayer:
    """The spec of layer ``name`` drawn from ``tiles_url`` (``{z}/{x}/{y}`` template),
    prepared from ``sample`` (a few of its features: the columns and geometry type)."""
    prepared = prepare_layer(sample, name=name, lang=lang, kind=kind, label=label, cluster=False)
    spec = {
        **prepared.spec,
        "tiles": tiles_url,
        "tileLayer": name,
        "idField": get_schema(kind).id_field if kind in SCHEMAS else None,
        "items": ITEMS_PATH.replace("{layer}", name),
        "common": {},
        "total": total,
    }
    return PreparedLayer(
        spec,
        tile_columns(kind),
        prepared.label,
        prepared.geometry,
        prepared.style,
        prepared.category,
    )


class TileLayer(JSCSSMixin, Layer):
    """A layer drawn by the page script from vector tiles of the page's own server."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = mzgis.tileLayer({{ this.spec_js }});
        {% endmacro %}
        """
    )

    def __init__(self, spec: dict[str, Any], *, name: str, show: bool = True) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "TileLayer"
        self.spec_js = to_js(spec)
        self.default_js = [("mzgis_js", MZGIS_JS), ("vectorgrid_js", _VECTORGRID_JS)]
        self.default_css = [("mzgis_css", MZGIS_CSS)]
