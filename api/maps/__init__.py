"""Web maps that work offline: the shared map builder and the ``/maps`` pages.

Build a page with :class:`MapBuilder` (styles per layer kind, popups from the schema's labels
and units, legend, scale bar, data basemap, local assets), serve it from a route of the
``/maps`` router (:mod:`api.maps.routes`). Modules:

- :mod:`api.maps.builder`: :class:`MapBuilder`, one page;
- :mod:`api.maps.basemap`: the basemap drawn from the data (roads, boundaries, names);
- :mod:`api.maps.styles`, :mod:`api.maps.popups`, :mod:`api.maps.legend`: how layers look;
- :mod:`api.maps.spec`, :mod:`api.maps.display`: what travels to the page, and how light;
- :mod:`api.maps.assets`: Leaflet and plugins from pinned npm packages, served locally;
- :mod:`api.maps.pages`, :mod:`api.maps.routes`: the pages built from a store.
"""

from __future__ import annotations

from api.maps.assets import MissingAssetsError, UnknownAssetError, external_urls, mount_assets
from api.maps.basemap import BasemapData, basemap_data
from api.maps.builder import MapBuilder
from api.maps.i18n import Lang, parse_lang, text
from api.maps.legend import LegendEntry
from api.maps.popups import PopupField
from api.maps.spec import CLUSTER_THRESHOLD, prepare_layer
from api.maps.styles import KIND_STYLES, PALETTE, CategoryStyle, LayerStyle

__all__ = [
    "CLUSTER_THRESHOLD",
    "KIND_STYLES",
    "PALETTE",
    "BasemapData",
    "CategoryStyle",
    "Lang",
    "LayerStyle",
    "LegendEntry",
    "MapBuilder",
    "MissingAssetsError",
    "PopupField",
    "UnknownAssetError",
    "basemap_data",
    "external_urls",
    "mount_assets",
    "parse_lang",
    "prepare_layer",
    "text",
]
