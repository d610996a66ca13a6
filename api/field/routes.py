"""``/field/``: the boundary inspectors' field app (a PWA), served by the service itself.

The page, its ES modules, style, manifest and service worker come from
``api/field/static/``; Leaflet from the pinned ``node_modules`` (``/static/vendor/``). Every
page carries a Content-Security-Policy that allows only this origin's scripts and styles
(no inline script), so data can never run as code. The service worker is rendered with the
cache name (a hash of the shell's contents and the configuration) and the list of the
shell's URLs, so any change of a file installs a new worker.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, JSONResponse, Response

from api.config import Settings
from api.deps import SettingsDep
from api.maps.assets import vendor_url

__all__ = ["CSP", "STATIC_DIR", "field_config", "router", "shell_urls"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: the app's own modules, style and icons under /field/app/
ASSETS = frozenset(
    p.name
    for p in STATIC_DIR.iterdir()
    if p.suffix in (".js", ".css", ".svg", ".png") and p.name != "sw.js"
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_NO_CACHE = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
_MEDIA = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}

router = APIRouter(prefix="/field", tags=["field app / 外业应用"], include_in_schema=False)


def shell_urls() -> list[str]:
    """Everything the app needs to open without signal (what the service worker caches)."""
    return [
        "/field/",
        "/field/manifest.webmanifest",
        "/field/config.json",
        *(f"/field/app/{name}" for name in sorted(ASSETS)),
        vendor_url("leaflet", "leaflet.js"),
        vendor_url("leaflet", "leaflet.css"),
    ]


@functools.cache
def _files_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def field_config(settings: Settings) -> dict[str, Any]:
    """What the app reads at start: photo size, the cache name and the shell's URLs."""
    options = {
        "photo_max_px": settings.field_photo_max_px,
        "photo_quality": settings.field_photo_quality,
    }
    version = hashlib.sha256((_files_digest() + json.dumps(options, sort_keys=True)).encode())
    return {**options, "cache": f"mzgis-field-{version.hexdigest()[:16]}", "shell": shell_urls()}


@router.get("/")
def index() -> FileResponse:
    headers = {**_NO_CACHE, "Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer"}
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=headers)


@router.get("/config.json")
def config(settings: SettingsDep) -> JSONResponse:
    return JSONResponse(field_config(settings), headers=_NO_CACHE)


@router.get("/manifest.webmanifest")
def manifest() -> FileResponse:
    path = STATIC_DIR / "manifest.webmanifest"
    return FileResponse(path, media_type="application/manifest+json", headers=_NO_CACHE)


@router.get("/sw.js")
def service_worker(settings: SettingsDep) -> Response:
    cfg = field_config(settings)
    text = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    text = text.replace("__CACHE__", cfg["cache"]).replace("__SHELL__", json.dumps(cfg["shell"]))
    headers = {**_NO_CACHE, "Service-Worker-Allowed": "/field/"}
    return Response(text, media_type="text/javascript", headers=headers)


@router.get("/app/{name}")
def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(404, f"no such file: {name} / 没有该文件")
    path = STATIC_DIR / name
    return FileResponse(path, media_type=_MEDIA[path.suffix], headers=_NO_CACHE)
