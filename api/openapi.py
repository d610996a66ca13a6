"""The OpenAPI document as the service really answers: every error is the project's
:class:`api.errors.ErrorBody` (``{"code", "detail", "problems"}``), never FastAPI's
``HTTPValidationError`` (whose ``detail`` is an array, so generated clients mis-parse it).

FastAPI builds the document; :func:`install_openapi` then rewrites each operation's error
responses by what the handlers of :mod:`api.errors` send:

- 400 where the operation has parameters (a query, path or header parameter that cannot be
  used is a 400, as OGC API asks);
- 422 where it has a request body (and where FastAPI declared its own 422);
- 401 and 403 where it names a security scheme (a bearer token is read);
- 404 where its path has a parameter (a layer, feature, plan, campaign or record by id);
- 405, 409, 412, 428 and the rest where a route declares them itself (``responses=``);
- ``4XX`` for any other refusal (a 413 photo, a 415 image type) and 503 when the store
  cannot be reached, on every operation.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import ErrorBody

__all__ = ["ERROR_DESCRIPTIONS", "install_openapi", "service_openapi"]

ERROR_BODY_REF = "#/components/schemas/ErrorBody"
#: FastAPI's own validation-error schemas, replaced by the error body
FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")
ERROR_DESCRIPTIONS = {
    "400": "Invalid parameter / 参数无效",
    "401": "Not signed in, or the token is unknown or expired / 未登录或令牌无效",
    "403": "The role may not do this / 角色无权执行此操作",
    "404": "Not found / 未找到",
    "422": "Invalid request body / 请求体无效",
    "4XX": "Refused / 请求被拒绝",
    "503": "Store unavailable / 数据存储不可用",
}
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _error(status: str, description: str | None = None) -> dict[str, Any]:
    return {
        "description": description or ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": ERROR_BODY_REF}}},
    }


def _errors_of(path: str, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The error responses an operation can give, by status."""
    errors: dict[str, dict[str, Any]] = {}
    if operation.get("parameters"):
        errors["400"] = _error("400")
    if "requestBody" in operation:
        errors["422"] = _error("422")
    if operation.get("security"):
        errors["401"], errors["403"] = _error("401"), _error("403")
    if "{" in path:
        errors["404"] = _error("404")
    errors["4XX"], errors["503"] = _error("4XX"), _error("503")
    return errors


def _rewrite(path: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status, response in responses.items():
        if status.startswith(("4", "5")) and "content" in response:
            # the handlers answer JSON whatever the route's own media type (GeoJSON, HTML)
            response["content"] = _error(status, response.get("description"))["content"]
    declared = responses.get("422")
    if declared is not None and declared.get("description") == "Validation Error":
        declared["description"] = ERROR_DESCRIPTIONS["422"]  # FastAPI's own 422, reshaped
    for status, response in _errors_of(path, operation).items():
        responses.setdefault(status, response)


def service_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app`` with the project's error bodies (built once)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
    )
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                _rewrite(path, item[method])
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_ERROR_SCHEMAS:
        schemas.pop(name, None)
    if "ErrorBody" not in schemas:  # no route declared it itself
        body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(body.pop("$defs", {}))
        schemas["ErrorBody"] = body
    app.openapi_schema = document
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve :func:`service_openapi` at ``/openapi.json`` (and to ``/docs``)."""

    def openapi() -> dict[str, Any]:
        return service_openapi(app)

    app.openapi = openapi  # type: ignore[method-assign]
