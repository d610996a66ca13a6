"""Inspection records (界线联检): users, campaigns, marker inspections, segment checks,
photos, reviews, versioned zone plans (责任片区方案) and an append-only audit log, behind one
:class:`RecordStore` interface.

``open_record_store("demo.gpkg")`` keeps the records in the same GeoPackage as the layers;
``open_record_store(postgis_store)`` in the same PostGIS schema.
"""

from __future__ import annotations

from pathlib import Path

from layers._errors import StoreError
from layers.records._plan_rows import layer_stamps
from layers.records._rows import RecordTarget, parse_target
from layers.records._sql_people import now_iso
from layers.records.audit import entry_hash, verify_chain
from layers.records.base import RecordStore
from layers.records.errors import (
    AccessChangedError,
    AmbiguousRecordError,
    RecordNotFoundError,
    RecordValidationError,
)
from layers.records.gpkg import GeoPackageRecordStore
from layers.records.models import (
    CONDITIONS,
    FIX_TYPES,
    KINDS,
    REVIEW_STATES,
    REVIEW_TARGETS,
    ROLES,
    SEGMENT_STATUSES,
    SIDES,
    Access,
    AuditCheck,
    AuditEntry,
    Campaign,
    Member,
    Photo,
    Record,
    RecordFilter,
    RecordKind,
    Review,
    Role,
    User,
    ZonePlanSummary,
    ZonePlanVersion,
    canonical_json,
    etag_matches,
    require_version,
    sha256_hex,
)
from layers.store import GeoPackageStore, Store, is_postgis_url

__all__ = [
    "CONDITIONS",
    "FIX_TYPES",
    "KINDS",
    "REVIEW_STATES",
    "REVIEW_TARGETS",
    "ROLES",
    "SEGMENT_STATUSES",
    "SIDES",
    "Access",
    "AccessChangedError",
    "AmbiguousRecordError",
    "AuditCheck",
    "AuditEntry",
    "Campaign",
    "GeoPackageRecordStore",
    "Member",
    "Photo",
    "Record",
    "RecordFilter",
    "RecordKind",
    "RecordNotFoundError",
    "RecordStore",
    "RecordTarget",
    "RecordValidationError",
    "Review",
    "Role",
    "User",
    "ZonePlanSummary",
    "ZonePlanVersion",
    "canonical_json",
    "entry_hash",
    "etag_matches",
    "layer_stamps",
    "now_iso",
    "open_record_store",
    "parse_target",
    "require_version",
    "sha256_hex",
    "verify_chain",
]


def open_record_store(location: str | Path | Store) -> RecordStore:
    """Open the record store that lives with a layer store (or at a location).

    Parameters
    ----------
    location
        A :class:`GeoPackageStore` or a :class:`PostGISStore` (the records live beside its
        layers), a ``.gpkg`` path (created when missing) or a ``postgresql://`` URL.

    Raises
    ------
    StoreError
        For locations no record backend serves.
    """
    if isinstance(location, GeoPackageStore):
        return GeoPackageRecordStore(location)
    from layers.store.postgis import PostGISStore  # psycopg is loaded only when needed

    if isinstance(location, PostGISStore) or is_postgis_url(str(location)):
        from layers.records.postgis import PostGISRecordStore

        return PostGISRecordStore(location)  # type: ignore[arg-type]
    text = str(getattr(location, "url", location))
    if text.lower().endswith(".gpkg"):
        return GeoPackageRecordStore(text)
    msg = (
        f"no record store for {text!r} (a .gpkg path or a postgresql:// URL)"
        " / 无法识别的记录存储位置"
    )
    raise StoreError(msg)
