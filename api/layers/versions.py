"""Layer versions over HTTP (admins): the history of a layer and restoring a version.

``GET /collections/{layer}/versions`` lists every version (time in UTC and Beijing time,
what wrote it, its feature count, whether its data is kept); ``POST
/collections/{layer}/versions/{version}/restore`` writes that version's data as a new
version (undoable in turn) with its audit entry in the same transaction, and refreshes the
catalog.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam

from api.auth import Admin, RecordsDep
from api.deps import CatalogDep, StoreDep
from api.errors import ERROR_RESPONSES
from layers.store.base import Written

__all__ = ["router"]

router = APIRouter(prefix="/collections", tags=["layer versions / 图层版本"])

LayerName = Annotated[str, PathParam(description="Layer name / 图层名", max_length=128)]


@router.get(
    "/{layer}/versions",
    summary="Versions of a layer (admin) / 图层版本历史（管理员）",
    responses={404: ERROR_RESPONSES[404]},
)
def versions(layer: LayerName, store: StoreDep, user: Admin) -> dict[str, Any]:
    """Every version of ``layer``, oldest first (a deleted layer's too)."""
    history = store.history(layer)
    return {"layer": layer, "versions": [v.to_dict() for v in history]}


@router.post(
    "/{layer}/versions/{version}/restore",
    summary="Restore a version (admin) / 恢复图层版本（管理员）",
    responses={404: ERROR_RESPONSES[404]},
)
def restore(
    layer: LayerName,
    version: Annotated[int, PathParam(ge=1, description="Version / 版本号")],
    *,
    store: StoreDep,
    catalog: CatalogDep,
    records: RecordsDep,
    user: Admin,
) -> dict[str, Any]:
    """Write the kept data of ``version`` as a new version of ``layer``."""
    note = f"restore of version {version} by {user.username} / 恢复版本 {version}"

    def audit(written: Written) -> None:
        new = written.info
        detail = {"restored": version, "version": new.version, "count": new.count}
        records.audit_within(written.connection, "layer.restore", layer, detail,
                             actor=user.username)  # fmt: skip

    info = store.restore(layer, version, source=note, within=audit)
    catalog.refresh()
    return {"layer": layer, "restored": version, **info.to_dict()}
