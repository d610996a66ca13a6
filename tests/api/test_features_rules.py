"""OGC API - Features Part 4 on both stores, who and what may be written and what a write
leaves: roles (401/403), read-only layers (405) and the catalog's ``editable``, audit
entries (written in the layer write's transaction: a refused entry leaves the layer as it
was), the catalog and map pages refreshed, and an edited station in the next coverage run."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

from layers.store import GeoPackageStore, Store
from layers.store.postgis import PostGISStore
from tests.api.conftest import STATION_POINTS
from tests.api.test_features_write import ITEMS, World, make_world, station


@pytest.fixture
def world(new_location: Callable[[str], str]) -> Iterator[World]:
    yield from make_world(new_location)


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("inspector", 403), (None, 401)])
def test_only_planners_and_admins_write(world: World, role: str | None, status: int) -> None:
    before = world.version()
    headers = {"If-Match": world.etag("S1")} | ({} if role is None else world.auth(role))
    assert world.client.post(ITEMS, json=station(), headers=headers).status_code == status
    assert (
        world.client.put(f"{ITEMS}/S1", json=station("S1"), headers=headers).status_code == status
    )
    assert world.client.patch(f"{ITEMS}/S1", json={}, headers=headers).status_code == status
    assert world.client.delete(f"{ITEMS}/S1", headers=headers).status_code == status
    assert world.version() == before


@pytest.mark.parametrize("layer", ["roads", "inspections", "communities", "streets"])
def test_read_only_layers_answer_405(world: World, layer: str) -> None:
    items = f"/collections/{layer}/items"
    reader = world.auth("admin")  # the inspections layer is never public
    found = world.client.get(items, params={"limit": 1}, headers=reader)
    feature_id = found.json()["features"][0]["id"]
    headers = world.auth("admin", **{"If-Match": world.etag("S1")})
    answers = [
        world.client.post(items, json=station(), headers=headers),
        world.client.put(f"{items}/{feature_id}", json=station(), headers=headers),
        world.client.patch(f"{items}/{feature_id}", json={}, headers=headers),
        world.client.delete(f"{items}/{feature_id}", headers=headers),
    ]
    for answer in answers:
        assert answer.status_code == 405
        assert answer.headers["Allow"] == "GET"
        body = answer.json()
        assert (
            body["code"] == "read_only_layer"
            and "只读" in body["detail"]
            and layer in body["detail"]
        )


def test_the_catalog_editable_flag_matches_the_layers_that_take_writes(world: World) -> None:
    collections = world.client.get("/collections").json()["collections"]
    assert {c["id"] for c in collections if c["editable"]} == {"stations"}
    for collection in collections:
        sent = {"type": "Feature", "geometry": None, "properties": {}}
        answer = world.client.post(
            f"/collections/{collection['id']}/items", json=sent, headers=world.auth("admin")
        )
        assert answer.status_code == (422 if collection["editable"] else 405), collection["id"]
    conformance = world.client.get("/conformance").json()["conformsTo"]
    assert (
        "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete"
        in conformance
    )


# -- audit, coverage -------------------------------------------------------------------------


def test_every_write_is_in_the_audit_log_with_its_versions(world: World) -> None:
    start = world.version()
    created = world.client.post(ITEMS, json=station(), headers=world.auth("planner"))
    headers = world.auth("admin", **{"If-Match": created.headers["ETag"]})
    updated = world.client.patch(
        f"{ITEMS}/S9", json={"properties": {"name": "乙"}}, headers=headers
    )
    gone = world.auth("admin", **{"If-Match": updated.headers["ETag"]})
    assert world.client.delete(f"{ITEMS}/S9", headers=gone).status_code == 204
    entries = [e for e in world.records.audit_log() if e.action.startswith("feature.")]
    assert [(e.action, e.actor) for e in entries] == [
        ("feature.create", "planner"),
        ("feature.update", "admin"),
        ("feature.delete", "admin"),
    ]
    assert [(e.detail["based_on"], e.detail["version"]) for e in entries] == [
        (start, start + 1),
        (start + 1, start + 2),
        (start + 2, start + 3),
    ]
    assert entries[1].detail["previous_etag"] == created.headers["ETag"]
    assert entries[1].detail["etag"] == updated.headers["ETag"]
    assert world.records.verify_audit().ok


def test_an_edited_station_shows_up_in_the_next_coverage_run(world: World) -> None:
    request = {"facilities": "stations", "mode": "euclidean", "tiers_m": [300]}

    def nearest(code: str) -> tuple[str, float]:
        answer = world.client.post("/analyses/coverage", json=request)
        assert answer.status_code == 200, answer.text
        row = next(r for r in answer.json()["per_demand"] if r["code"] == code)
        return row["facility_id"], row["distance_m"]

    assert nearest("110101001001")[0] == "S1"
    centroid = (116.385, 39.91)  # of community 110101001001 (a box 0.01° × 0.02°)
    assert STATION_POINTS["S2"] != centroid
    headers = world.auth("planner", **{"If-Match": world.etag("S2")})
    move = {"geometry": {"type": "Point", "coordinates": list(centroid)}}
    assert world.client.patch(f"{ITEMS}/S2", json=move, headers=headers).status_code == 200
    facility, distance_m = nearest("110101001001")
    assert facility == "S2" and distance_m < 1.0


def test_a_write_refreshes_the_catalog_and_drops_cached_map_pages(world: World) -> None:
    assert world.client.get("/maps/layers").status_code == 200
    pages = world.client.app.state.map_pages  # type: ignore[attr-defined]
    assert len(pages) == 1
    before = world.client.get("/collections/stations").json()["numberOfFeatures"]
    created = world.client.post(ITEMS, json=station(), headers=world.auth("planner"))
    assert created.status_code == 201
    assert len(pages) == 0
    assert world.client.get("/collections/stations").json()["numberOfFeatures"] == before + 1


def test_a_write_whose_audit_entry_fails_leaves_the_layer_unchanged(world: World) -> None:
    """The audit log refuses inserts (a trigger, as a full disk or a revoked right would):
    the write and its entry are one transaction, so the layer, its history and the log stay
    as they were; once the log takes entries again the same write goes through."""
    history = world.client.get("/collections/stations/versions").json()
    version, entries = world.version(), len(world.records.audit_log())
    with audit_refused(world.client.app.state.store):  # type: ignore[attr-defined]
        created = world.client.post(ITEMS, json=station(), headers=world.auth("planner"))
        assert created.status_code == 503, created.text
        assert "audit log unavailable" in created.text
        assert world.version() == version
        assert world.client.get(f"{ITEMS}/S9").status_code == 404
        assert world.client.get("/collections/stations/versions").json() == history
        assert len(world.records.audit_log()) == entries
    created = world.client.post(ITEMS, json=station(), headers=world.auth("planner"))
    assert created.status_code == 201 and world.version() == version + 1
    last = world.records.audit_log()[-1]
    assert (last.action, last.detail["version"]) == ("feature.create", version + 1)
    assert world.records.verify_audit().ok


@contextlib.contextmanager
def audit_refused(store: Store) -> Iterator[None]:
    """A trigger refusing every new audit entry in ``store``'s database."""
    if isinstance(store, GeoPackageStore):
        with contextlib.closing(sqlite3.connect(store.path)) as con:
            con.execute(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON mzgis_audit"
                " BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
            )
            con.commit()
            yield
            con.execute("DROP TRIGGER refuse_audit")
            con.commit()
        return
    assert isinstance(store, PostGISStore)
    audit = sql.Identifier(store.schema, "mzgis_audit")
    refuse = sql.Identifier(store.schema, "refuse_audit")
    with psycopg.connect(store.conninfo, autocommit=True) as pg:
        pg.execute(
            sql.SQL(
                "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$"
            ).format(refuse)
        )
        pg.execute(
            sql.SQL(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON {} FOR EACH ROW EXECUTE FUNCTION {}()"
            ).format(audit, refuse)
        )
        yield
        pg.execute(sql.SQL("DROP TRIGGER refuse_audit ON {}").format(audit))
        pg.execute(sql.SQL("DROP FUNCTION {}()").format(refuse))
