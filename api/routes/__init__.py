"""The HTTP routes, one router per resource; :data:`ROUTERS` is what the app includes."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import collections, health, inspection_map, inspections, landing, users

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    landing.router,
    collections.router,
    health.router,
    inspections.router,
    inspection_map.router,
    users.router,
)
