"""Map pages built from a store: the layers map (every layer of the store)."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd

from api.auth import RECORD_LAYER_KINDS
from api.maps.basemap import BasemapData
from api.maps.builder import MapBuilder
from api.maps.i18n import Lang, kind_label, text
from api.maps.styles import style_for
from api.maps.tiles import TILED_MIN_FEATURES, tiled_layer
from layers.store import LayerInfo, Store

__all__ = ["BASEMAP_KINDS", "LAZY_MIN_FEATURES", "layers_map", "store_label"]

#: kinds the data basemap already draws: their overlays start switched off
BASEMAP_KINDS = frozenset({"roads", "districts", "streets"})
#: hidden layers larger than this are fetched on demand rather than embedded
LAZY_MIN_FEATURES = 2000


def layers_map(
    store: Store,
    *,
    lang: Lang = "zh",
    tile_url: str | None = None,
    tile_attribution: str | None = None,
    data_url: Callable[[str], str] | None = None,
    tiles_url: Callable[[str], str] | None = None,
    tiled_min_features: int = TILED_MIN_FEATURES,
) -> MapBuilder:
    """A map of every layer of ``store`` but those holding inspection records, each
    toggleable and styled by its kind, over the data basemap (or the intranet tiles when
    ``tile_url`` is given).

    Layers the basemap already draws (roads, districts, streets) start switched off; those
    of them larger than :data:`LAZY_MIN_FEATURES` are not embedded when ``data_url`` (layer
    name -> URL of its features) is given: the page fetches them when first switched on.
    Layers of more than ``tiled_min_features`` features are drawn from vector tiles when
    ``tiles_url`` (layer name -> ``{z}/{x}/{y}`` URL template) is given.
    """
    shown = [i for i in store.layers() if i.kind not in RECORD_LAYER_KINDS]  # never public
    infos = sorted(shown, key=lambda i: (style_for(i.kind).z, i.name))
    builder = MapBuilder(
        title=text("layers_title", lang),
        subtitle=store_label(store),
        lang=lang,
        tile_url=tile_url,
        tile_attribution=tile_attribution,
    )
    tiled = {i.name for i in infos if tiles_url and i.count > tiled_min_features}
    frames = {i.name: store.read(i.name, limit=500 if i.name in tiled else None) for i in infos}
    first: dict[str, gpd.GeoDataFrame] = {}
    for info in infos:
        first.setdefault(info.kind, frames[info.name])
    builder.add_basemap(
        BasemapData(
            roads=first.get("roads"), districts=first.get("districts"), streets=first.get("streets")
        )
    )
    for info in infos:
        show = info.kind not in BASEMAP_KINDS
        label = None if info.name == info.kind else f"{kind_label(info.kind, lang)}: {info.name}"
        if tiles_url is not None and info.name in tiled:
            url = tiles_url(info.name)
            _add_tiled(builder, frames[info.name], info, url=url, label=label, show=show)
            continue
        lazy = not show and info.count > LAZY_MIN_FEATURES
        builder.add_layer(
            frames[info.name],
            kind=info.kind,
            name=info.name,
            label=label,
            show=show,
            source_url=data_url(info.name) if data_url and lazy else None,
        )
    return builder


def _add_tiled(
    builder: MapBuilder,
    sample: gpd.GeoDataFrame,
    info: LayerInfo,
    *,
    url: str,
    label: str | None,
    show: bool,
) -> None:
    """Layer ``info`` drawn from its vector tiles at ``url`` (``sample``: its first
    features, for the legend and popups)."""
    prepared = tiled_layer(
        sample, name=info.name, kind=info.kind, lang=builder.lang, tiles_url=url,
        total=info.count, label=label,
    )  # fmt: skip
    estimated = "estimated_fields" in sample
    builder.add_tiled_layer(prepared, bounds=info.bbox, show=show, estimated=estimated)


def store_label(store: Store) -> str:
    """A short name of the store for the page (its file name, never a full path)."""
    url = str(getattr(store, "url", ""))
    return url.replace("\\", "/").rsplit("/", 1)[-1]
