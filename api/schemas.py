"""What every request body shares: :class:`StrictModel` (unknown fields refused, text
stripped) and the name types of layers, columns and ids."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Id", "Name", "StrictModel"]

#: a layer or column name
Name = Annotated[str, Field(min_length=1, max_length=128)]
#: an id of a feature, plan or record
Id = Annotated[str, Field(min_length=1, max_length=64)]


class StrictModel(BaseModel):
    """The base of every request body: a field the model does not know is refused (422)
    instead of ignored, and text fields are stripped of surrounding white space."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
