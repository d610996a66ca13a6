"""Importing a file from the browser (planners): ``GET /layers/import`` (the page),
``POST /layers/uploads`` (the file: kept on the server, answered with a preview) and
``POST /layers/uploads/{id}/import`` (the column mapping, coordinate system and mode).

An import is all or nothing (:func:`layers.io.import_file`): a file with bad rows changes
nothing and is answered (422) with every problem, each with its Excel row number for a
spreadsheet (header in row 1) or its feature number for a GIS file. Importing into a layer
that exists needs ``mode="replace"`` and ``confirm_replace`` equal to the number of features
that will be dropped (409 otherwise, naming the layer and that number): nothing is replaced
silently. Appending and updating by id wait on layer versions.

Uploads live in a temporary folder of the app, one per upload, removed after the import
or after :data:`UPLOAD_TTL_S`.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import Field

from api.auth import Planner
from api.deps import CatalogDep, StoreDep
from api.errors import InvalidParameterError
from api.layers.pages import labels_for
from api.maps.i18n import kind_label
from api.schemas import Name, StrictModel
from api.tables import json_safe
from api.web.access import page_requires
from api.web.i18n import request_lang
from api.web.render import render
from layers._errors import LayerValidationError
from layers.io import import_file
from layers.io.readers import read_with_problems
from layers.records import User
from layers.schema import SCHEMAS
from layers.store import Store

__all__ = ["ImportRequest", "router"]

router = APIRouter(tags=["pages / 页面"], include_in_schema=False)

SUFFIXES = (".xlsx", ".xls", ".csv", ".geojson", ".json", ".gpkg", ".zip")
TABLE_SUFFIXES = (".xlsx", ".xls", ".csv")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
PREVIEW_ROWS = 10
UPLOAD_TTL_S = 3600
CRS_CHOICES = ("wgs84", "cgcs2000", "gcj02", "bd09")


@dataclass
class Upload:
    """A file a person uploaded, waiting for its import."""

    path: Path
    filename: str
    username: str
    created: float


class ImportRequest(StrictModel):
    """How to import an uploaded file."""

    name: Name = Field(description="Layer name / 图层名")
    kind: Name = Field(description="Layer kind / 图层类型")
    crs: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] | None = Field(
        default=None, description="Coordinates of the file (null: as the file says) / 坐标系"
    )
    lon: Name | None = Field(default=None, description="Longitude column / 经度列")
    lat: Name | None = Field(default=None, description="Latitude column / 纬度列")
    mapping: dict[str, str] = Field(
        default_factory=dict, description="{file column: field} / 字段对应", max_length=200
    )
    mode: Literal["new", "replace"] = Field(default="new", description="new / replace")
    confirm_replace: int | None = Field(
        default=None, description="Features the person agreed to drop / 确认删除的要素数"
    )


@router.get("/layers/import", response_class=HTMLResponse)
def import_page(
    request: Request, store: StoreDep, user: Annotated[User, Depends(page_requires("plan"))]
) -> HTMLResponse:
    """The import page (planners and administrators)."""
    lang = request_lang(request, default=request.app.state.settings.lang)
    kinds = [
        {
            "kind": kind,
            "label": kind_label(kind, lang),
            "fields": [
                {"name": f.name, "label": f.zh if lang == "zh" else f.en, "required": f.required}
                for f in schema.fields
            ],
        }
        for kind, schema in sorted(SCHEMAS.items())
    ]
    layers = [{"name": i.name, "kind": i.kind, "count": i.count} for i in store.layers()]
    data = {"kinds": kinds, "layers": layers, "labels": labels_for(request), "crs": CRS_CHOICES}
    return render(request, "import.html", {"labels": data["labels"], "data": data})


def _uploads(request: Request) -> dict[str, Upload]:
    found: dict[str, Upload] | None = getattr(request.app.state, "uploads", None)
    if found is None:
        found = request.app.state.uploads = {}
    now = time.time()
    for key in [k for k, u in found.items() if now - u.created > UPLOAD_TTL_S]:
        _drop(found, key)
    return found


def _drop(uploads: dict[str, Upload], key: str) -> None:
    upload = uploads.pop(key, None)
    if upload is not None:
        shutil.rmtree(upload.path.parent, ignore_errors=True)


def _suffix(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidParameterError(
            "file",
            filename,
            f"use one of {', '.join(SUFFIXES)}",
            f"文件类型应为 {'、'.join(SUFFIXES)}",
        )
    return suffix


def _save(upload: UploadFile, suffix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="mzgis-upload-"))
    target = folder / f"upload{suffix}"
    size = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                shutil.rmtree(folder, ignore_errors=True)
                raise InvalidParameterError(
                    "file", upload.filename, "larger than 50 MB", "文件超过 50 MB"
                )
            out.write(chunk)
    return target


def _preview(path: Path) -> dict[str, Any]:
    frame, problems = read_with_problems(path)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    head = frame[columns].head(PREVIEW_ROWS)
    return {
        "columns": columns,
        "rows": json_safe(head.astype(object).where(head.notna(), None).to_dict("records")),
        "total": len(frame),
        "read_problems": [p.to_dict() for p in problems[:50]],
    }


@router.post("/layers/uploads")
def upload_file(request: Request, user: Planner, file: Annotated[UploadFile, File()]) -> Any:
    """Keep an uploaded file and answer its columns and first rows."""
    suffix = _suffix(file.filename or "")
    path = _save(file, suffix)
    uploads = _uploads(request)
    key = secrets.token_urlsafe(16)
    uploads[key] = Upload(path, file.filename or path.name, user.username, time.time())
    try:
        preview = _preview(path)
    except Exception:
        _drop(uploads, key)
        raise
    return {"upload_id": key, "filename": uploads[key].filename, **preview}


def _row_label(suffix: str, row: int | None) -> dict[str, int | None]:
    if row is None:
        return {"excel_row": None, "feature_no": None}
    if suffix in TABLE_SUFFIXES:
        return {"excel_row": row + 2, "feature_no": None}  # header in row 1
    return {"excel_row": None, "feature_no": row + 1}


def _replace_check(store: Store, body: ImportRequest) -> JSONResponse | None:
    existing = next((i for i in store.layers() if i.name == body.name), None)
    if existing is None:
        return None
    if body.mode == "replace" and body.confirm_replace == existing.count:
        return None
    detail = (
        f"layer {body.name!r} exists with {existing.count} features; replacing it drops them"
        f" all: send mode=replace and confirm_replace={existing.count}"
        f" / 图层 {body.name} 已存在（{existing.count} 个要素）；替换将删除全部现有要素，"
        f"请选择替换并确认 {existing.count}"
    )
    body_json = {
        "code": "layer_exists",
        "detail": detail,
        "layer": body.name,
        "count": existing.count,
    }
    return JSONResponse(body_json, status_code=409)


@router.post("/layers/uploads/{upload_id}/import")
def import_upload(
    *,
    request: Request,
    user: Planner,
    store: StoreDep,
    catalog: CatalogDep,
    upload_id: Annotated[str, PathParam(max_length=64)],
    body: ImportRequest,
) -> Any:
    """Import the uploaded file as ``body.name``: all or nothing, replace only confirmed."""
    uploads = _uploads(request)
    upload = uploads.get(upload_id)
    if upload is None or upload.username != user.username:
        raise InvalidParameterError(
            "upload_id", upload_id, "no such upload (or it expired): upload the file again",
            "上传的文件不存在或已过期，请重新上传",
        )  # fmt: skip
    refused = _replace_check(store, body)
    if refused is not None:
        return refused
    options: dict[str, Any] = {
        k: v for k, v in (("crs", body.crs), ("lon", body.lon), ("lat", body.lat)) if v
    }
    suffix = upload.path.suffix.lower()
    try:
        report = import_file(
            store, upload.path, name=body.name, kind=body.kind, column_map=body.mapping, **options
        )
    except LayerValidationError as exc:
        problems = [{**p.to_dict(), **_row_label(suffix, p.row)} for p in exc.problems]
        detail = f"{len(problems)} problems; nothing was imported / {len(problems)} 处问题，未导入"
        return JSONResponse(
            json_safe({"code": "invalid_layer", "detail": detail, "problems": problems}),
            status_code=422,
        )
    _drop(uploads, upload_id)
    catalog.refresh()
    warnings = [{**p.to_dict(), **_row_label(suffix, p.row)} for p in report.warnings]
    return json_safe(
        {"layer": body.name, "kind": body.kind, "rows": report.rows, "warnings": warnings}
    )
