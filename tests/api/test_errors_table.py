"""The one table from exceptions to HTTP status codes, exercised through a real app."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.errors import ERROR_STATUS, register_error_handlers
from geo._errors import AnalysisError, InfeasibleError
from layers._errors import (
    ConflictError,
    FeatureNotFoundError,
    LayerReadError,
    LayerValidationError,
    PreconditionFailedError,
    Problem,
    StoreError,
    UnknownLayerError,
)

ERRORS: dict[str, tuple[Exception, int, str]] = {
    "validation": (
        LayerValidationError("stations", [Problem(3, "capacity_persons", -5, "must be ≥ 0")]),
        422,
        "invalid_layer",
    ),
    "unknown": (UnknownLayerError("nope", ["stations"]), 404, "unknown_layer"),
    "missing": (FeatureNotFoundError("stations", "S9"), 404, "feature_not_found"),
    "read": (LayerReadError("bad file / 文件无法读取"), 400, "layer_read"),
    "conflict": (ConflictError("same uuid, other body / 冲突"), 409, "conflict"),
    "stale": (PreconditionFailedError("stale version"), 412, "precondition_failed"),
    "store": (StoreError("database is down"), 503, "store_unavailable"),
    "analysis": (AnalysisError("no demand / 无需求"), 422, "analysis"),
    "infeasible": (InfeasibleError("p too small / 设施数不足"), 422, "infeasible"),
}


class Body(BaseModel):
    radius_m: float


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    register_error_handlers(app)

    @app.get("/raise/{name}")
    def raise_error(name: str) -> None:
        raise ERRORS[name][0]

    @app.post("/body")
    def post_body(body: Body) -> dict[str, Any]:
        return body.model_dump()

    @app.get("/bug")
    def bug() -> None:
        raise RuntimeError("a bug")

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("name", list(ERRORS))
def test_each_error_gets_its_status_and_code(client: TestClient, name: str) -> None:
    _, status, code = ERRORS[name]
    response = client.get(f"/raise/{name}")
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert " / " in body["detail"]  # English-only messages get the Chinese appended


def test_validation_error_lists_its_problems(client: TestClient) -> None:
    body = client.get("/raise/validation").json()
    assert body["problems"] == [
        {
            "row": 3,
            "field": "capacity_persons",
            "value": -5,
            "reason": "must be ≥ 0",
            "severity": "error",
        }
    ]
    assert "\n" not in body["detail"]


def test_subclasses_take_their_own_row_before_their_parents() -> None:
    assert ERROR_STATUS[ConflictError][0] == 409
    assert ERROR_STATUS[StoreError][0] == 503


def test_bad_body_is_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/body", json={"radius_m": "far"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_body"
    assert body["problems"][0]["field"] == "radius_m"
    assert "radius_m='far'" in body["detail"]
    assert "必须是数字" in body["detail"]


def test_unexpected_errors_are_500_without_a_traceback(client: TestClient) -> None:
    response = client.get("/bug")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "Traceback" not in response.text
