"""Dependencies of the routes, as ``Annotated`` aliases (``store: StoreDep``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from api.catalog import Catalog
from api.config import Settings
from api.network.service import NetworkCache, NetworkSource
from layers._errors import StoreError
from layers.store import LayerInfo, Store

__all__ = ["CatalogDep", "LayerDep", "NetworkDep", "SettingsDep", "StoreDep"]


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    """The store opened in the app's lifespan."""
    store: Store | None = getattr(request.app.state, "store", None)
    if store is None:
        msg = "the store is not open (the service is starting or stopping) / 数据存储尚未打开"
        raise StoreError(msg)
    return store


def get_catalog(request: Request) -> Catalog:
    """The catalog of collections built in the app's lifespan."""
    catalog: Catalog | None = getattr(request.app.state, "catalog", None)
    if catalog is None:
        msg = "the catalog is not loaded (the service is starting or stopping) / 图层目录尚未加载"
        raise StoreError(msg)
    return catalog


def get_network_source(request: Request) -> NetworkSource:
    """The walking network of the app's store, from the app's :class:`NetworkCache` (built
    or loaded once per ``roads`` version, shared by every request)."""
    cache: NetworkCache = request.app.state.networks
    return cache.get


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
NetworkDep = Annotated[NetworkSource, Depends(get_network_source)]


def get_layer(
    catalog: CatalogDep,
    layer: Annotated[str, Path(description="Layer (collection) name / 图层名", max_length=128)],
) -> LayerInfo:
    """The catalog entry of the ``{layer}`` path parameter (404 when unknown)."""
    return catalog.get(layer)


LayerDep = Annotated[LayerInfo, Depends(get_layer)]
