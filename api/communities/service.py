"""Community size adjustment (社区规模调整) on a store: read the layers a request names, run
:func:`geo.communities.resize_communities`, and shape the answer. Shared by
``/analyses/communities``, ``/maps/communities`` and ``mzgis communities``.

Names in a request (layers, community codes) are checked against the store first, so a
mistake is refused naming the field that holds it (:class:`api.errors.InvalidBodyError`,
HTTP 422).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from api.catalog import Catalog
from api.communities.schemas import ResizeRequest
from api.errors import InvalidBodyError
from api.tables import json_safe, records
from geo.communities import ResizeResult, resize_communities

__all__ = ["layer_names", "resize_inputs", "result_body", "run_resize", "workbook_sheets"]


def _anchors(catalog: Catalog, names: list[str], crs: Any) -> gpd.GeoDataFrame | None:
    if not names:
        return None
    frames = [
        catalog.read(name, field=f"anchors_layers.{i}").to_crs(crs)[["geometry"]]
        for i, name in enumerate(names)
    ]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)


def _known_codes(request: ResizeRequest, communities: gpd.GeoDataFrame) -> None:
    known = set(communities["code"].astype(str))
    for field, codes in (("codes", request.codes or []), ("parts", list(request.parts))):
        bad = [c for c in codes if c not in known]
        if bad:
            raise InvalidBodyError(field, bad[0], "unknown community code", "未知社区代码")


def layer_names(request: ResizeRequest) -> list[str]:
    """Every layer a request reads."""
    blocks = request.units_layer if request.units_layer is not None else request.roads_layer
    extra = [request.households_layer] if request.households_layer is not None else []
    return [request.communities_layer, blocks, *extra, *request.anchors_layers]


def resize_inputs(catalog: Catalog, request: ResizeRequest) -> dict[str, Any]:
    """The layers of a request, by the keyword :func:`resize_communities` takes them.

    Raises
    ------
    api.errors.InvalidBodyError
        A layer the store does not have, or an unknown community code (HTTP 422).
    """
    communities = catalog.read(request.communities_layer, field="communities_layer", nonempty=True)
    _known_codes(request, communities)
    units = roads = households = None
    if request.units_layer is not None:
        units = catalog.read(request.units_layer, field="units_layer", nonempty=True)
    else:
        roads = catalog.read(request.roads_layer, field="roads_layer", nonempty=True)
    if request.households_layer is not None:
        households = catalog.read(request.households_layer, field="households_layer")
    return {
        "communities": communities,
        "roads": roads,
        "units": units,
        "households": households,
        "anchors": _anchors(catalog, request.anchors_layers, communities.crs),
    }


def run_resize(catalog: Catalog, request: ResizeRequest) -> ResizeResult:
    """Flag the communities and propose splits (see :func:`resize_communities`).

    Raises
    ------
    api.errors.InvalidBodyError
        A layer the store does not have, or an unknown community code (HTTP 422).
    geo.AnalysisError
        Inputs the analysis cannot use (HTTP 422).
    """
    inputs = resize_inputs(catalog, request)
    return resize_communities(
        inputs.pop("communities"),
        **inputs,
        split_threshold_households=request.split_threshold_households,
        resize_threshold_households=request.resize_threshold_households,
        band_households=(request.band_lower_households, request.band_upper_households),
        target_households=request.target_households,
        parts=request.parts,
        codes=request.codes,
        merge_undersize=request.merge_undersize,
        undersize_households=request.undersize_households,
        cut_oversize_blocks=request.cut_oversize_blocks,
    )


def result_body(result: ResizeResult) -> dict[str, Any]:
    """The JSON answer: summary, flags of the flagged communities, one entry per proposal,
    the validation and before/after tables."""
    flags = result.flags[result.flags["flag"] != "ok"]
    return json_safe(
        {
            "summary": result.summary(),
            "band_households": list(result.band),
            "flags": records(flags),
            "proposals": [p.to_dict() for p in result.proposals],
            "validation": records(result.validation()),
            "before_after": records(result.before_after()),
        }
    )


def workbook_sheets(result: ResizeResult) -> dict[str, pd.DataFrame]:
    """The workbook of a run: one sheet per table (parts without geometry)."""
    parts = pd.DataFrame(result.parts_gdf().drop(columns="geometry"))
    return {
        "调整前后 before_after": result.before_after(),
        "校验 validation": result.validation(),
        "调整后社区 parts": parts,
        "社区标记 flags": result.flags,
    }
