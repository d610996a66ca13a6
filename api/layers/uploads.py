"""Importing a file from the browser (planners): ``GET /layers/import`` (the page),
``POST /layers/uploads`` (the file: kept on the server, answered with a preview) and
``POST /layers/uploads/{id}/import`` (the column mapping, coordinate system and mode).

An import is all or nothing (:func:`layers.io.import_file`): a file with bad rows changes
nothing and is answered (422) with every problem, each with its Excel row number for a
spreadsheet (header in row 1) or its feature number for a GIS file. ``mode="new"`` refuses a
name already taken (409); into an existing layer the person says ``append`` (ids must be
new), ``upsert`` (update by id, add the rest) or ``replace``, which is refused (409 with the
plan: how many features and which ids it drops) until sent again with ``confirm_replace``.
Every import keeps the layer's previous version (``mzgis layers restore``).

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
from layers._errors import ConfirmationRequiredError, LayerValidationError, Problem
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
    mode: Literal["new", "append", "upsert", "replace"] = Field(
        default="new", description="new / append / upsert (update by id) / replace"
    )
    confirm_replace: bool = Field(
        default=False, description="The person saw what replace drops / 已确认替换将删除的要素"
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


def _row_label(suffix: str, problem: Problem) -> dict[str, int | None]:
    """Where a person finds the row: the spreadsheet row (header = row 1) or the feature
    number of a GIS file."""
    if problem.row is None:
        return {"excel_row": None, "feature_no": None}
    if suffix in TABLE_SUFFIXES:
        line = problem.line if problem.line is not None else problem.row + 2
        return {"excel_row": line, "feature_no": None}
    return {"excel_row": None, "feature_no": problem.row + 1}


def _problems(suffix: str, problems: list[Problem]) -> list[dict[str, Any]]:
    return [{**p.to_dict(), **_row_label(suffix, p)} for p in problems]


def _name_taken(store: Store, body: ImportRequest) -> JSONResponse | None:
    existing = next((i for i in store.layers() if i.name == body.name), None)
    if existing is None or body.mode != "new":
        return None
    detail = (
        f"layer {body.name!r} exists with {existing.count} features: choose append, upsert"
        f" or replace, or another name / 图层 {body.name} 已存在（{existing.count} 个要素）："
        "请选择追加、按编号更新或替换，或换一个图层名"
    )
    body_json = {"code": "layer_exists", "detail": detail, "layer": body.name}
    return JSONResponse({**body_json, "count": existing.count}, status_code=409)


def _confirm_answer(body: ImportRequest, exc: ConfirmationRequiredError) -> JSONResponse:
    plan = exc.plan.to_dict()
    detail = (
        f"replacing layer {body.name!r} drops {len(plan['dropped'])} of its"
        f" {plan['existing']} features: confirm to go on / 替换图层 {body.name} 将删除现有"
        f" {plan['existing']} 个要素中的 {len(plan['dropped'])} 个，请确认"
    )
    answer = {"code": "confirm_replace", "detail": detail, "layer": body.name, "plan": plan}
    return JSONResponse(json_safe(answer), status_code=409)


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
    refused = _name_taken(store, body)
    if refused is not None:
        return refused
    options: dict[str, Any] = {
        k: v for k, v in (("crs", body.crs), ("lon", body.lon), ("lat", body.lat)) if v
    }
    suffix = upload.path.suffix.lower()
    try:
        report = import_file(
            store,
            upload.path,
            name=body.name,
            kind=body.kind,
            mode=None if body.mode == "new" else body.mode,
            confirm=body.confirm_replace,
            column_map=body.mapping,
            **options,
        )
    except LayerValidationError as exc:
        problems = _problems(suffix, exc.problems)
        detail = f"{len(problems)} problems; nothing was imported / {len(problems)} 处问题，未导入"
        body_json = {"code": "invalid_layer", "detail": detail, "problems": problems}
        return JSONResponse(json_safe(body_json), status_code=422)
    except ConfirmationRequiredError as exc:
        return _confirm_answer(body, exc)
    _drop(uploads, upload_id)
    catalog.refresh()
    version = None if report.written is None else report.written.version
    answer = {"layer": body.name, "kind": body.kind, "rows": report.rows, "version": version}
    plan = None if report.plan is None else report.plan.to_dict()
    return json_safe({**answer, "plan": plan, "warnings": _problems(suffix, report.warnings)})
