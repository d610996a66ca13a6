"""Request bodies of OGC API - Features Part 4 (GeoJSON features sent to a layer).

The GeoJSON shape is checked here; what the properties and the geometry must be (columns,
types, ranges, geometry type, region) is the layer schema's business
(:func:`layers.validate`), checked once in :mod:`api.layers.service`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["FeatureIn", "FeaturePatch"]

FeatureId = str | int


class FeatureIn(BaseModel):
    """A GeoJSON Feature (RFC 7946), lon/lat (CRS84): the whole new content of a feature.

    The id is the layer's id column in ``properties`` (or the Feature's ``id``; both given,
    they must agree). Other members (``bbox``, ``links``) are ignored.
    """

    model_config = ConfigDict(extra="ignore")

    type: Literal["Feature"]
    id: FeatureId | None = Field(default=None, description="Feature id / 要素编号")
    geometry: dict[str, Any] | None = Field(
        description="GeoJSON geometry, lon/lat / GeoJSON 几何（经纬度）"
    )
    properties: dict[str, Any] | None = Field(
        default=None, description="Attributes of the layer / 图层属性"
    )


class FeaturePatch(BaseModel):
    """A partial feature (JSON merge patch, RFC 7396): the properties given replace the
    stored ones (``null`` clears one), a ``geometry`` given replaces the stored one, the rest
    is kept."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["Feature"] = "Feature"
    geometry: dict[str, Any] | None = Field(
        default=None, description="New geometry, lon/lat / 新几何（经纬度）"
    )
    properties: dict[str, Any] = Field(
        default_factory=dict, description="Attributes to change / 要修改的属性"
    )
