"""``api.zones.distributed``: the zones of a store solved by district (the service behind
``mzgis zones solve --by district --scheduler ...``) on a 4 × 6 grid of communities split
into two districts of one street each, 2 stations per district."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from api.catalog import Catalog
from api.errors import InvalidParameterError
from api.zones.distributed import solve_zones_by_district, unit_districts
from api.zones.schemas import ZoneRequest
from api.zones.service import build_problem, solve_zones
from geo._errors import SchedulerError
from layers.store import Store, open_store
from tests.api.test_zones_api import COLS, _communities, _stations


def _street(c: int) -> str:
    return "110101001" if c < COLS // 2 else "110102001"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    units = _communities()
    cols = [int(code[-3:]) - 1 for code in units["code"]]
    streets = [_street(i % COLS) for i in cols]
    units = units.assign(
        street_code=streets,
        code=[s + code[-3:] for s, code in zip(streets, units["code"], strict=True)],
    )
    opened = open_store(tmp_path / "districts.gpkg")
    opened.import_frame(units, name="communities", kind="communities")
    opened.import_frame(_stations(), name="stations", kind="stations")
    yield opened
    opened.close()


def test_by_district_equals_single_solve_and_stays_in_districts(store: Store) -> None:
    request = ZoneRequest()
    plan, notes = solve_zones_by_district(Catalog.build(store), request, scheduler="none")
    single, single_notes = solve_zones(Catalog.build(store), request)
    np.testing.assert_array_equal(plan.assignment, single.assignment)
    assert notes == single_notes and plan.info is not None and plan.info.groups == 2
    table = plan.assignment_table()
    assert (table["street"].str[:6] == table["unit_id"].str[:6]).all()
    district_of_station = {"S1": "110101", "S3": "110101", "S2": "110102", "S4": "110102"}
    assert (table["station_id"].map(district_of_station) == table["unit_id"].str[:6]).all()
    assert plan.validate().ok


def test_by_street_or_a_column(store: Store) -> None:
    request = ZoneRequest()
    problem, _ = build_problem(Catalog.build(store), request)
    by_district = unit_districts(Catalog.build(store), request, problem)
    assert sorted(set(by_district)) == ["110101", "110102"]
    np.testing.assert_array_equal(
        unit_districts(Catalog.build(store), request, problem, by="street"),
        unit_districts(Catalog.build(store), request, problem, by="street_code"),
    )
    plan, _ = solve_zones_by_district(Catalog.build(store), request, by="street", scheduler=None)
    district, _ = solve_zones_by_district(Catalog.build(store), request, scheduler=None)
    np.testing.assert_array_equal(plan.assignment, district.assignment)


def test_bad_by_and_unreachable_scheduler(store: Store) -> None:
    with pytest.raises(InvalidParameterError, match="--by='nope'") as err:
        solve_zones_by_district(Catalog.build(store), ZoneRequest(), by="nope", scheduler=None)
    assert "street_code" in str(err.value) and " / " in str(err.value)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SchedulerError, match="cannot reach"):
        solve_zones_by_district(
            Catalog.build(store), ZoneRequest(), scheduler=f"tcp://127.0.0.1:{port}", timeout_s=1.0
        )
