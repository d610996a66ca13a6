"""One table from exception classes to HTTP status codes, and the handlers built from it.

Routes never catch and re-raise: ``layers`` and ``geo`` raise their own errors, and the
handlers registered here shape every error body the same way::

    {"code": "unknown_layer", "detail": "English / 中文", "problems": [...]}

``problems`` is present when there is a list to show (the rows of a refused import, the
parameters of a refused request). Nothing a client sends produces a 500.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.validation_errors import (
    json_value,
    model_validation_handler,
    request_validation_handler,
    shorten_value,
)
from geo._errors import AnalysisError, SchedulerError
from layers._errors import (
    ConflictError,
    FeatureNotFoundError,
    LayerError,
    LayerReadError,
    LayerValidationError,
    PreconditionFailedError,
    StoreError,
    UnknownLayerError,
)
from layers.records.errors import AmbiguousRecordError

__all__ = [
    "ERROR_RESPONSES",
    "ERROR_STATUS",
    "ErrorBody",
    "ErrorProblem",
    "FeatureValidationError",
    "InvalidBodyError",
    "InvalidParameterError",
    "PlanNotFoundError",
    "PreconditionRequiredError",
    "ReadOnlyLayerError",
    "error_body",
    "http_error_handler",
    "register_error_handlers",
    "table_error_handler",
]

logger = logging.getLogger("mzgis.api")


class InvalidParameterError(ValueError):
    """A query or path parameter cannot be used as sent (HTTP 400)."""

    def __init__(self, name: str, value: object, reason_en: str, reason_zh: str) -> None:
        self.name, self.value = name, value
        self.reason = f"{reason_en} / {reason_zh}"
        shown = shorten_value(value)
        msg = (
            f"invalid parameter {name}={shown}: {reason_en}"
            f" / 参数 {name} 的值 {shown} 无效：{reason_zh}"
        )
        super().__init__(msg)

    def problems(self) -> list[dict[str, Any]]:
        return [
            {
                "location": "query",
                "field": self.name,
                "value": json_value(self.value),
                "reason": self.reason,
            }
        ]


class InvalidBodyError(InvalidParameterError):
    """A field of a request body names something that cannot be used (an unknown layer or
    column, a rule that leaves nothing): HTTP 422, like the body's own validation errors."""

    def problems(self) -> list[dict[str, Any]]:
        return [
            {
                "location": "body",
                "field": self.name,
                "value": json_value(self.value),
                "reason": self.reason,
            }
        ]


class PlanNotFoundError(LookupError):
    """No zone plan has this id (HTTP 404); plans live in the store's record tables."""

    def __init__(self, plan_id: str) -> None:
        self.plan_id = plan_id
        super().__init__(
            f"no zone plan {plan_id!r} in this store / 本存储中没有责任片区方案 {plan_id}"
        )


class PreconditionRequiredError(ValueError):
    """A write needs an ``If-Match`` header naming the version it was based on (HTTP 428)."""

    def __init__(self, header: str = "If-Match") -> None:
        super().__init__(
            f"the {header} header is required: send the version (ETag) the edit was based on"
            f" / 缺少 {header} 请求头：请给出编辑所依据的版本（ETag）"
        )


class ReadOnlyLayerError(Exception):
    """A write to a layer that is derived (``roads``) or kept as records (``inspections``),
    or of any other kind its schema does not mark editable (HTTP 405, ``Allow: GET``)."""

    def __init__(self, layer: str, kind: str) -> None:
        self.layer, self.kind = layer, kind
        self.headers = {"Allow": "GET"}
        super().__init__(
            f"layer {layer!r} ({kind}) is read-only: it is derived or kept as records, so its"
            " features cannot be created, replaced, updated or deleted here"
            f" / 图层 {layer}（{kind}）为只读图层（派生数据或业务记录），"
            "不能在此新增、替换、修改或删除要素"
        )


@dataclass
class FeatureValidationError(LayerValidationError):
    """A feature sent to a layer breaks the layer's schema (HTTP 422); nothing was changed."""

    layer: str = ""
    feature_id: str | None = None

    @property
    def message(self) -> str:
        errors = self.errors
        which = f" {self.feature_id!r}" if self.feature_id is not None else ""
        head = (
            f"feature{which} of layer {self.layer!r}: {len(errors)} problem(s), nothing was"
            f" changed / 图层 {self.layer} 的要素{which}有 {len(errors)} 处错误，"
            "未做任何修改"
        )
        lines = [f"  - field {p.field!r}, value {p.value!r}: {p.reason}" for p in errors]
        return "\n".join([head, *lines])


#: exception class → (HTTP status, error code); ``None`` derives the code from the class name
#: (``CRSMismatchError`` → ``crs_mismatch``). Subclasses inherit their closest ancestor's row.
ERROR_STATUS: dict[type[Exception], tuple[int, str | None]] = {
    LayerValidationError: (422, "invalid_layer"),
    UnknownLayerError: (404, None),
    FeatureNotFoundError: (404, None),
    LayerReadError: (400, None),
    ConflictError: (409, None),
    PreconditionFailedError: (412, None),
    StoreError: (503, "store_unavailable"),
    LayerError: (400, None),
    AnalysisError: (422, None),
    SchedulerError: (503, "scheduler_unavailable"),  # the Dask scheduler is not reachable
    InvalidParameterError: (400, None),
    InvalidBodyError: (422, "invalid_body"),
    sqlite3.Error: (503, "store_unavailable"),  # a GeoPackage the store could not read
    PlanNotFoundError: (404, "plan_not_found"),
    PreconditionRequiredError: (428, "precondition_required"),
    ReadOnlyLayerError: (405, "read_only_layer"),
    FeatureValidationError: (422, "invalid_feature"),
}

#: the Chinese shown after an English-only message, by status
_ZH_BY_STATUS = {
    400: "请求无效",
    401: "未登录",
    403: "无权访问",
    404: "未找到",
    405: "不允许的请求方法",
    409: "与已有数据冲突",
    412: "数据版本已过期，请刷新后重试",
    415: "不支持的内容类型",
    428: "缺少版本前提条件",
    422: "无法处理该请求",
    500: "服务器内部错误",
    503: "数据存储不可用",
}


class ErrorProblem(BaseModel):
    """One problem of a refused request: the parameter or body field (``location`` says
    which) or the row and field of a layer or feature, the value sent and why."""

    field: str = Field(description="Parameter, body field or column / 参数、字段或列")
    reason: str = Field(description="Why, English / 中文 / 原因")
    value: Any = Field(None, description="The value sent / 提交的值")
    location: str | None = Field(None, description="query, path, header, body / 位置")
    row: int | None = Field(None, description="Row of a layer (0-based) / 行号")
    severity: str | None = Field(None, description="error or warning / 错误或警告")


class ErrorBody(BaseModel):
    """The body of every error response (4xx and 5xx)."""

    code: str = Field(description="Machine-readable code, e.g. invalid_body / 错误代码")
    detail: str = Field(description="What went wrong, English / 中文 / 错误说明")
    problems: list[ErrorProblem] | None = Field(
        None, description="Every problem found, when there is a list / 全部问题"
    )


#: the error responses most routes can give, for their OpenAPI description
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Invalid parameter / 参数无效"},
    404: {"model": ErrorBody, "description": "Not found / 未找到"},
    503: {"model": ErrorBody, "description": "Store unavailable / 数据存储不可用"},
}


def _lookup(exc: BaseException) -> tuple[int, str]:
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            status, code = ERROR_STATUS[cls]
            return status, code or _snake(type(exc).__name__)
    return 500, "internal_error"


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.removesuffix("Error")).lower()


def _bilingual(message: str, status: int) -> str:
    if " / " in message:
        return message
    return f"{message} / {_ZH_BY_STATUS.get(status, '请求失败')}"


def error_body(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of an error from the table."""
    status, code = _lookup(exc)
    body: dict[str, Any] = {"code": code}
    if isinstance(exc, LayerValidationError):
        body["detail"] = exc.message.splitlines()[0]
        body["problems"] = [p.to_dict() for p in exc.problems]
    elif isinstance(exc, InvalidParameterError):
        body["detail"] = str(exc)
        body["problems"] = exc.problems()
    elif isinstance(exc, AmbiguousRecordError):  # the campaigns to choose from
        body["detail"] = str(exc)
        reason = "a campaign holding the record / 有该记录的批次"
        body["problems"] = [
            {"field": "campaign_id", "value": c, "location": "query", "reason": reason}
            for c in exc.campaign_ids
        ]
    elif isinstance(exc, sqlite3.Error):
        body["detail"] = f"the store cannot be read: {exc} / 无法读取数据存储"
    else:
        body["detail"] = _bilingual(str(exc) or type(exc).__name__, status)
    return status, body


async def table_error_handler(request: Request, exc: Exception) -> JSONResponse:
    status, body = error_body(exc)
    if status >= 500:
        logger.warning("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(body, status_code=status, headers=getattr(exc, "headers", None))


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail: Any = exc.detail
    if isinstance(detail, str):
        detail = _bilingual(detail, exc.status_code)
    body = {"code": f"http_{exc.status_code}", "detail": detail}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _internal_handler(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    body = {
        "code": "internal_error",
        "detail": "internal error; see the service log / 服务器内部错误，请查看服务日志",
    }
    return JSONResponse(body, status_code=500)


def register_error_handlers(app: FastAPI) -> None:
    """Register one handler per row of :data:`ERROR_STATUS`, plus request validation (and
    models a route builds from the request), HTTP errors and a last-resort 500 that never
    leaks a traceback."""
    for cls in ERROR_STATUS:
        app.add_exception_handler(cls, table_error_handler)
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.add_exception_handler(ValidationError, model_validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, _internal_handler)
