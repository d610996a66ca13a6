"""The bbox parser shared by the API and the CLI."""

from __future__ import annotations

import pytest

from api.errors import InvalidParameterError
from api.layers.params import parse_bbox


def test_four_numbers() -> None:
    assert parse_bbox("116.3, 39.8,116.5,40") == (116.3, 39.8, 116.5, 40.0)


def test_six_numbers_drop_heights() -> None:
    assert parse_bbox("116.3,39.8,0,116.5,40,100") == (116.3, 39.8, 116.5, 40.0)


def test_a_point_box_is_allowed() -> None:
    assert parse_bbox("116,40,116,40") == (116.0, 40.0, 116.0, 40.0)


@pytest.mark.parametrize(
    "text", ["1,2,3", "1,2,3,4,5", "x,2,3,4", "1,2,inf,4", "3,2,1,4", "1,4,3,2", "1,-91,2,3"]
)
def test_refused(text: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        parse_bbox(text, name="--bbox")
    assert info.value.name == "--bbox"
    assert info.value.value == text
    assert " / " in str(info.value)


def test_huge_values_are_not_echoed_whole() -> None:
    text = "1," * 5000
    with pytest.raises(InvalidParameterError) as info:
        parse_bbox(text)
    assert len(str(info.value)) < 600
    assert info.value.value == text  # the problem keeps the value sent
