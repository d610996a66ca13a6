"""``GET /healthz``: is the service up and can it read its store."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CatalogDep, StoreDep
from api.errors import ERROR_RESPONSES

__all__ = ["router"]

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    store: str
    layers: int


@router.get(
    "/healthz",
    response_model=Health,
    summary="Service health / 服务状态",
    responses={503: ERROR_RESPONSES[503]},
)
def healthz(store: StoreDep, catalog: CatalogDep) -> Health:
    """``ok`` with the store and its number of layers; 503 when the store cannot be read."""
    catalog.refresh()  # reads the store now: a broken store answers 503
    return Health(status="ok", store=store.url, layers=len(catalog))
