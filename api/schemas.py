"""What every request body shares: :class:`StrictModel` (unknown fields refused, text
stripped) and the name types of layers, columns and ids."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = [
    "MAX_OFFSET",
    "Id",
    "Name",
    "Offset",
    "PublicModel",
    "StrictModel",
    "validated_body",
]

#: the largest offset or sequence number a request may name: every JSON client keeps
#: integers up to 2**53 exactly, and SQL integers hold them
MAX_OFFSET = 2**53
#: items (or audit entries) skipped in a listing
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items skipped / 跳过的条数")]
Model = TypeVar("Model", bound=BaseModel)

#: a layer or column name
Name = Annotated[str, Field(min_length=1, max_length=128)]
#: an id of a feature, plan or record
Id = Annotated[str, Field(min_length=1, max_length=64)]


class StrictModel(BaseModel):
    """The base of every request body: a field the model does not know is refused (422)
    instead of ignored, and text fields are stripped of surrounding white space."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def validated_body(model: type[Model], data: dict[str, Any]) -> Model:
    """``data`` (a body the service assembled, such as a stored body merged with a change)
    validated as ``model``; its errors are the request's (422 naming each body field)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


class PublicModel(BaseModel):
    """The base of every response body (the ``XPublic`` family): it lists every member the
    route sends, so that the OpenAPI document is what clients get (a member it does not
    declare is an error in the service, not a silently dropped value)."""

    model_config = ConfigDict(extra="forbid")
