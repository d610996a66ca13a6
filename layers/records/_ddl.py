"""SQL of the record tables in a GeoPackage (SQLite): created on first open, in one
transaction, beside the layers. Marker inspections are also a GeoPackage point table
(``gpkg_contents``), so QGIS shows them as they arrive.

:data:`SCHEMA_VERSION` is kept in ``mzgis_records_meta``; a file made at an older version
is brought up to date by the scripts of :data:`UPGRADES` (append one per new version, never
edit one that has shipped).
"""

from __future__ import annotations

import sqlite3

__all__ = [
    "KIND_TABLES",
    "PLAN_TABLES",
    "REGISTER_FEATURES",
    "SCHEMA_VERSION",
    "TABLES",
    "UPGRADES",
    "statements",
]

SCHEMA_VERSION = 3
_GENESIS = "0" * 64  # models.GENESIS_HASH

#: record kind → (table, kind-specific columns copied from the body for filtering)
KIND_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "marker": ("mzgis_marker_inspections", ("marker_no", "condition", "inspected_at")),
    "segment": ("mzgis_segment_checks", ("from_marker", "to_marker", "status", "checked_at")),
}

_RECORD_COMMON = """
  record_id TEXT NOT NULL UNIQUE,
  campaign_id TEXT NOT NULL REFERENCES mzgis_campaigns (campaign_id),
  line_code TEXT NOT NULL,
  review_state TEXT NOT NULL DEFAULT 'received'
    CHECK (review_state IN ('received', 'has_issues', 'approved', 'rejected')),
  version INTEGER NOT NULL CHECK (version >= 1),
  create_hash TEXT NOT NULL,
  body TEXT NOT NULL,
  computed TEXT NOT NULL,
  flags TEXT NOT NULL DEFAULT '[]',
  search_text TEXT NOT NULL DEFAULT '',
  estimated INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL"""

TABLES = f"""
CREATE TABLE IF NOT EXISTS mzgis_records_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mzgis_users (
  username TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('admin', 'planner', 'inspector', 'viewer')),
  display_name TEXT NOT NULL, password_hash TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mzgis_tokens (
  token_hash TEXT PRIMARY KEY, username TEXT NOT NULL REFERENCES mzgis_users (username),
  label TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT);
CREATE INDEX IF NOT EXISTS idx_mzgis_tokens_user ON mzgis_tokens (username);
CREATE TABLE IF NOT EXISTS mzgis_campaigns (
  campaign_id TEXT PRIMARY KEY, line_code TEXT NOT NULL, round_no INTEGER NOT NULL,
  year INTEGER NOT NULL, name TEXT NOT NULL,
  left_code TEXT NOT NULL, left_name TEXT NOT NULL,
  right_code TEXT NOT NULL, right_name TEXT NOT NULL,
  created_by TEXT NOT NULL, created_at TEXT NOT NULL, estimated INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS mzgis_campaign_members (
  campaign_id TEXT NOT NULL REFERENCES mzgis_campaigns (campaign_id),
  username TEXT NOT NULL REFERENCES mzgis_users (username),
  side TEXT NOT NULL CHECK (side IN ('left', 'right')),
  PRIMARY KEY (campaign_id, username));
CREATE TABLE IF NOT EXISTS mzgis_marker_inspections (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom POINT,
  marker_no TEXT NOT NULL, condition TEXT NOT NULL, inspected_at TEXT NOT NULL,
  {_RECORD_COMMON});
CREATE INDEX IF NOT EXISTS idx_mzgis_marker_insp_campaign
  ON mzgis_marker_inspections (campaign_id, marker_no);
CREATE TABLE IF NOT EXISTS mzgis_segment_checks (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  from_marker TEXT NOT NULL, to_marker TEXT NOT NULL, status TEXT NOT NULL,
  checked_at TEXT NOT NULL,
  {_RECORD_COMMON});
CREATE INDEX IF NOT EXISTS idx_mzgis_segment_campaign ON mzgis_segment_checks (campaign_id);
CREATE TABLE IF NOT EXISTS mzgis_photos (
  record_id TEXT NOT NULL, sha256 TEXT NOT NULL, content_type TEXT NOT NULL,
  size_bytes INTEGER NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL,
  uploaded_by TEXT NOT NULL, uploaded_at TEXT NOT NULL,
  PRIMARY KEY (record_id, sha256));
CREATE TABLE IF NOT EXISTS mzgis_reviews (
  review_id INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL,
  from_state TEXT NOT NULL, to_state TEXT NOT NULL, comment TEXT NOT NULL,
  reviewer TEXT NOT NULL, reviewed_at TEXT NOT NULL, version INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS idx_mzgis_reviews_record ON mzgis_reviews (record_id);
CREATE TABLE IF NOT EXISTS mzgis_audit (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  target TEXT NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS mzgis_audit_no_update BEFORE UPDATE ON mzgis_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only / 审计日志只能追加'); END;
CREATE TRIGGER IF NOT EXISTS mzgis_audit_no_delete BEFORE DELETE ON mzgis_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only / 审计日志只能追加'); END;
CREATE TRIGGER IF NOT EXISTS mzgis_audit_chained BEFORE INSERT ON mzgis_audit
WHEN NEW.seq IS NOT (SELECT COALESCE(MAX(seq), 0) + 1 FROM mzgis_audit)
  OR NEW.prev_hash IS NOT COALESCE(
    (SELECT hash FROM mzgis_audit ORDER BY seq DESC LIMIT 1), '{_GENESIS}')
BEGIN SELECT RAISE(ABORT, 'audit entry out of chain / 审计记录未接续上一条'); END;
"""

#: zone plans (责任片区方案): the current version of each, and every version ever saved
PLAN_TABLES = """
CREATE TABLE IF NOT EXISTS mzgis_zone_plans (
  plan_id TEXT PRIMARY KEY, version INTEGER NOT NULL CHECK (version >= 1),
  request TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL,
  updated_by TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mzgis_zone_plan_versions (
  plan_id TEXT NOT NULL REFERENCES mzgis_zone_plans (plan_id),
  version INTEGER NOT NULL CHECK (version >= 1),
  assignment TEXT NOT NULL, locked TEXT NOT NULL, info TEXT NOT NULL, notes TEXT NOT NULL,
  inputs TEXT NOT NULL, summary TEXT NOT NULL, changed TEXT NOT NULL,
  actor TEXT NOT NULL, at TEXT NOT NULL,
  PRIMARY KEY (plan_id, version));
CREATE TRIGGER IF NOT EXISTS mzgis_zone_plan_versions_no_update
BEFORE UPDATE ON mzgis_zone_plan_versions
BEGIN SELECT RAISE(ABORT, 'plan versions are never changed / 方案历史版本不可修改'); END;
CREATE TRIGGER IF NOT EXISTS mzgis_zone_plan_versions_no_delete
BEFORE DELETE ON mzgis_zone_plan_versions
BEGIN SELECT RAISE(ABORT, 'plan versions are never changed / 方案历史版本不可修改'); END;
"""

_MARKER_COLUMNS = "fid, geom, marker_no, condition, inspected_at"
_SEGMENT_COLUMNS = "fid, from_marker, to_marker, status, checked_at"
_COMMON_COLUMNS = (
    "record_id, campaign_id, line_code, review_state, version, create_hash, body, computed, "
    "flags, search_text, estimated, created_by, created_at, updated_at"
)
_PHOTO_COLUMNS = "record_id, sha256, content_type, size_bytes, name, data, uploaded_by, uploaded_at"
_REVIEW_COLUMNS = (
    "review_id, record_id, from_state, to_state, comment, reviewer, reviewed_at, version"
)
#: the campaign of each record id (ids were unique across campaigns before version 3)
_CAMPAIGN_OF = (
    "(SELECT campaign_id FROM mzgis_marker_inspections m WHERE m.record_id = o.record_id "
    "UNION ALL SELECT campaign_id FROM mzgis_segment_checks s WHERE s.record_id = o.record_id)"
)


def _rebuild(table: str, columns: str, create: str, *, campaign: bool = False) -> str:
    """Rebuild ``table`` as ``create`` keeping every row (and ``rowid`` order): SQLite cannot
    change a table's constraints in place. ``campaign`` fills the new ``campaign_id`` column
    from the record the row belongs to ('' for a row of no record, kept all the same)."""
    old = f"temp.{table}_v2"
    fill = f", COALESCE({_CAMPAIGN_OF}, '')" if campaign else ""
    return f"""
CREATE TEMP TABLE {table}_v2 AS SELECT rowid AS old_rowid, {columns} FROM {table};
DROP TABLE {table};
{create};
INSERT INTO {table} ({columns}{", campaign_id" if campaign else ""})
  SELECT {columns}{fill} FROM {old} o ORDER BY old_rowid;
DROP TABLE {old};
"""


_RECORD_COMMON_V3 = (
    _RECORD_COMMON.replace("record_id TEXT NOT NULL UNIQUE", "record_id TEXT NOT NULL")
    + ",\n  UNIQUE (record_id, campaign_id)"
)

#: version 3: a record's identity is (campaign, record id), so a UUID used in one campaign
#: is a new record in another; photos and reviews name their record's campaign
PER_CAMPAIGN_IDS = (
    _rebuild(
        "mzgis_marker_inspections",
        f"{_MARKER_COLUMNS}, {_COMMON_COLUMNS}",
        "CREATE TABLE mzgis_marker_inspections (\n"
        "  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n  geom POINT,\n"
        "  marker_no TEXT NOT NULL, condition TEXT NOT NULL, inspected_at TEXT NOT NULL,"
        f"{_RECORD_COMMON_V3})",
    )
    + "CREATE INDEX idx_mzgis_marker_insp_campaign\n"
    "  ON mzgis_marker_inspections (campaign_id, marker_no);\n"
    + _rebuild(
        "mzgis_segment_checks",
        f"{_SEGMENT_COLUMNS}, {_COMMON_COLUMNS}",
        "CREATE TABLE mzgis_segment_checks (\n"
        "  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n"
        "  from_marker TEXT NOT NULL, to_marker TEXT NOT NULL, status TEXT NOT NULL,\n"
        f"  checked_at TEXT NOT NULL,{_RECORD_COMMON_V3})",
    )
    + "CREATE INDEX idx_mzgis_segment_campaign ON mzgis_segment_checks (campaign_id);\n"
    + _rebuild(
        "mzgis_photos",
        _PHOTO_COLUMNS,
        "CREATE TABLE mzgis_photos (\n"
        "  record_id TEXT NOT NULL, sha256 TEXT NOT NULL, content_type TEXT NOT NULL,\n"
        "  size_bytes INTEGER NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL,\n"
        "  uploaded_by TEXT NOT NULL, uploaded_at TEXT NOT NULL, campaign_id TEXT NOT NULL,\n"
        "  PRIMARY KEY (record_id, campaign_id, sha256))",
        campaign=True,
    )
    + _rebuild(
        "mzgis_reviews",
        _REVIEW_COLUMNS,
        "CREATE TABLE mzgis_reviews (\n"
        "  review_id INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL,\n"
        "  from_state TEXT NOT NULL, to_state TEXT NOT NULL, comment TEXT NOT NULL,\n"
        "  reviewer TEXT NOT NULL, reviewed_at TEXT NOT NULL, version INTEGER NOT NULL,\n"
        "  campaign_id TEXT NOT NULL)",
        campaign=True,
    )
    + "CREATE INDEX idx_mzgis_reviews_record ON mzgis_reviews (record_id, campaign_id);\n"
)

#: schema version → the script that brings a file from the version before up to it
UPGRADES: dict[int, str] = {2: PLAN_TABLES, 3: PER_CAMPAIGN_IDS}

#: registers the marker inspections as a point feature table of the GeoPackage
REGISTER_FEATURES = [
    "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, "
    "last_change, srs_id) VALUES ('mzgis_marker_inspections', 'features', "
    "'mzgis_marker_inspections', '界桩检查记录 / marker inspections', "
    "strftime('%Y-%m-%dT%H:%M:%fZ','now'), 4326)",
    "INSERT OR IGNORE INTO gpkg_geometry_columns VALUES "
    "('mzgis_marker_inspections', 'geom', 'POINT', 4326, 0, 0)",
]


def statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (triggers stay whole)."""
    out: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    return out
