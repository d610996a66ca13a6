"""The HTTP routes, one router per resource; :data:`ROUTERS` is what the app includes."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    analyses_coverage,
    analyses_siting,
    analyses_zones,
    collections,
    coverage_map,
    health,
    inspection_map,
    inspections,
    landing,
    siting_map,
    users,
    zones_map,
)

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    landing.router,
    collections.router,
    health.router,
    inspections.router,
    inspection_map.router,
    users.router,
    analyses_siting.router,
    analyses_coverage.router,
    analyses_zones.router,
    coverage_map.router,
    siting_map.router,
    zones_map.router,
)
