"""SQL of the record tables in PostGIS: numbered migrations (run once per schema, see
:func:`layers.store._pg_conn.migrate`) and the grants of the role the service connects as.

The tables mirror the GeoPackage ones (:mod:`layers.records._ddl`). Texts that are hashed
(record bodies, computed values, audit details) are kept as the exact canonical JSON text
that was hashed; times are ISO 8601 text in UTC, as in the GeoPackage.

The audit log is append-only twice over: triggers refuse ``UPDATE``, ``DELETE`` and
``TRUNCATE`` (even to the tables' owner) and an insert out of the hash chain; and the
service's role (:data:`APP_GRANTS`) may only ``SELECT`` and ``INSERT`` it, so it can neither
change rows nor drop the triggers. ``{schema}`` is the store's schema (an identifier).
"""

from __future__ import annotations

from layers.records._ddl import KIND_TABLES  # the same tables as in a GeoPackage

__all__ = ["APP_GRANTS", "KIND_TABLES", "RECORD_MIGRATIONS"]

_GENESIS = "0" * 64  # models.GENESIS_HASH


_RECORD_COMMON = """
  record_id text NOT NULL UNIQUE,
  campaign_id text NOT NULL REFERENCES {schema}.mzgis_campaigns (campaign_id),
  line_code text NOT NULL,
  review_state text NOT NULL DEFAULT 'received'
    CHECK (review_state IN ('received', 'has_issues', 'approved', 'rejected')),
  version integer NOT NULL CHECK (version >= 1),
  create_hash text NOT NULL,
  body text NOT NULL,
  computed text NOT NULL,
  flags jsonb NOT NULL DEFAULT '[]',
  search_text text NOT NULL DEFAULT '',
  estimated boolean NOT NULL DEFAULT false,
  created_by text NOT NULL,
  created_at text NOT NULL,
  updated_at text NOT NULL"""

_TABLES = f"""
CREATE TABLE {{schema}}.mzgis_users (
  username text PRIMARY KEY,
  role text NOT NULL CHECK (role IN ('admin', 'planner', 'inspector', 'viewer')),
  display_name text NOT NULL, password_hash text NOT NULL,
  active boolean NOT NULL DEFAULT true, created_at text NOT NULL);
CREATE TABLE {{schema}}.mzgis_tokens (
  token_hash text PRIMARY KEY,
  username text NOT NULL REFERENCES {{schema}}.mzgis_users (username),
  label text NOT NULL, created_at text NOT NULL, expires_at text NOT NULL, revoked_at text);
CREATE INDEX mzgis_tokens_user ON {{schema}}.mzgis_tokens (username);
CREATE TABLE {{schema}}.mzgis_campaigns (
  campaign_id text PRIMARY KEY, line_code text NOT NULL, round_no integer NOT NULL,
  year integer NOT NULL, name text NOT NULL,
  left_code text NOT NULL, left_name text NOT NULL,
  right_code text NOT NULL, right_name text NOT NULL,
  created_by text NOT NULL, created_at text NOT NULL,
  estimated boolean NOT NULL DEFAULT false);
CREATE TABLE {{schema}}.mzgis_campaign_members (
  campaign_id text NOT NULL REFERENCES {{schema}}.mzgis_campaigns (campaign_id),
  username text NOT NULL REFERENCES {{schema}}.mzgis_users (username),
  side text NOT NULL CHECK (side IN ('left', 'right')),
  PRIMARY KEY (campaign_id, username));
CREATE TABLE {{schema}}.mzgis_marker_inspections (
  fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  geom geometry(Point, 4326),
  marker_no text NOT NULL, condition text NOT NULL, inspected_at text NOT NULL,
  {_RECORD_COMMON});
CREATE INDEX mzgis_marker_insp_campaign
  ON {{schema}}.mzgis_marker_inspections (campaign_id, marker_no);
CREATE INDEX mzgis_marker_insp_geom ON {{schema}}.mzgis_marker_inspections USING gist (geom);
CREATE TABLE {{schema}}.mzgis_segment_checks (
  fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  from_marker text NOT NULL, to_marker text NOT NULL, status text NOT NULL,
  checked_at text NOT NULL,
  {_RECORD_COMMON});
CREATE INDEX mzgis_segment_campaign ON {{schema}}.mzgis_segment_checks (campaign_id);
CREATE TABLE {{schema}}.mzgis_photos (
  photo_no bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  record_id text NOT NULL, sha256 text NOT NULL, content_type text NOT NULL,
  size_bytes bigint NOT NULL, name text NOT NULL, data bytea NOT NULL,
  uploaded_by text NOT NULL, uploaded_at text NOT NULL,
  PRIMARY KEY (record_id, sha256));
CREATE TABLE {{schema}}.mzgis_reviews (
  review_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, record_id text NOT NULL,
  from_state text NOT NULL, to_state text NOT NULL, comment text NOT NULL,
  reviewer text NOT NULL, reviewed_at text NOT NULL, version integer NOT NULL);
CREATE INDEX mzgis_reviews_record ON {{schema}}.mzgis_reviews (record_id);
CREATE TABLE {{schema}}.mzgis_audit (
  seq bigint PRIMARY KEY, at text NOT NULL, actor text NOT NULL, action text NOT NULL,
  target text NOT NULL, detail text NOT NULL, prev_hash text NOT NULL, hash text NOT NULL);
"""

_AUDIT_TRIGGERS = f"""
CREATE FUNCTION {{schema}}.mzgis_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only / 审计日志只能追加'
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER mzgis_audit_no_change BEFORE UPDATE OR DELETE ON {{schema}}.mzgis_audit
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.mzgis_audit_append_only();
CREATE TRIGGER mzgis_audit_no_truncate BEFORE TRUNCATE ON {{schema}}.mzgis_audit
  FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.mzgis_audit_append_only();
CREATE FUNCTION {{schema}}.mzgis_audit_chained() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE last_seq bigint; last_hash text;
BEGIN
  SELECT a.seq, a.hash INTO last_seq, last_hash FROM {{schema}}.mzgis_audit a
    ORDER BY a.seq DESC LIMIT 1;
  IF NEW.seq IS DISTINCT FROM COALESCE(last_seq, 0) + 1
     OR NEW.prev_hash IS DISTINCT FROM COALESCE(last_hash, '{_GENESIS}') THEN
    RAISE EXCEPTION 'audit entry out of chain / 审计记录未接续上一条'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER mzgis_audit_chained BEFORE INSERT ON {{schema}}.mzgis_audit
  FOR EACH ROW EXECUTE FUNCTION {{schema}}.mzgis_audit_chained();
"""

#: step 2: zone plans (责任片区方案), their versions never changed (as in a GeoPackage)
_ZONE_PLANS = """
CREATE TABLE {schema}.mzgis_zone_plans (
  plan_id text PRIMARY KEY, version integer NOT NULL CHECK (version >= 1),
  request text NOT NULL, created_by text NOT NULL, created_at text NOT NULL,
  updated_by text NOT NULL, updated_at text NOT NULL);
CREATE TABLE {schema}.mzgis_zone_plan_versions (
  plan_id text NOT NULL REFERENCES {schema}.mzgis_zone_plans (plan_id),
  version integer NOT NULL CHECK (version >= 1),
  assignment text NOT NULL, locked text NOT NULL, info text NOT NULL, notes text NOT NULL,
  inputs text NOT NULL, summary text NOT NULL, changed text NOT NULL,
  actor text NOT NULL, at text NOT NULL,
  PRIMARY KEY (plan_id, version));
CREATE FUNCTION {schema}.mzgis_zone_plan_versions_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'plan versions are never changed / 方案历史版本不可修改'
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER mzgis_zone_plan_versions_kept BEFORE UPDATE OR DELETE
  ON {schema}.mzgis_zone_plan_versions
  FOR EACH ROW EXECUTE FUNCTION {schema}.mzgis_zone_plan_versions_kept();
"""

_CAMPAIGN_OF = """
  (SELECT campaign_id FROM {schema}.mzgis_marker_inspections m WHERE m.record_id = o.record_id
   UNION ALL
   SELECT campaign_id FROM {schema}.mzgis_segment_checks s WHERE s.record_id = o.record_id
   LIMIT 1)"""

#: step 3: a record's identity is (campaign, record id), so a UUID used in one campaign is a
#: new record in another; photos and reviews name their record's campaign (ids were unique
#: across campaigns before, so every existing row finds its one campaign; a row of no
#: record, which the store never writes, is kept with campaign '')
_PER_CAMPAIGN_IDS = f"""
ALTER TABLE {{schema}}.mzgis_marker_inspections
  DROP CONSTRAINT mzgis_marker_inspections_record_id_key,
  ADD CONSTRAINT mzgis_marker_inspections_record_key UNIQUE (record_id, campaign_id);
ALTER TABLE {{schema}}.mzgis_segment_checks
  DROP CONSTRAINT mzgis_segment_checks_record_id_key,
  ADD CONSTRAINT mzgis_segment_checks_record_key UNIQUE (record_id, campaign_id);
ALTER TABLE {{schema}}.mzgis_photos ADD COLUMN campaign_id text;
UPDATE {{schema}}.mzgis_photos o SET campaign_id = COALESCE({_CAMPAIGN_OF}, '');
ALTER TABLE {{schema}}.mzgis_photos ALTER COLUMN campaign_id SET NOT NULL,
  DROP CONSTRAINT mzgis_photos_pkey, ADD PRIMARY KEY (record_id, campaign_id, sha256);
ALTER TABLE {{schema}}.mzgis_reviews ADD COLUMN campaign_id text;
UPDATE {{schema}}.mzgis_reviews o SET campaign_id = COALESCE({_CAMPAIGN_OF}, '');
ALTER TABLE {{schema}}.mzgis_reviews ALTER COLUMN campaign_id SET NOT NULL;
DROP INDEX {{schema}}.mzgis_reviews_record;
CREATE INDEX mzgis_reviews_record ON {{schema}}.mzgis_reviews (record_id, campaign_id);
"""

#: step 4: the security generation, moved on by every write that may take access away
#: (see :mod:`layers.records._sql_access`); one row
_SECURITY = """
CREATE TABLE {schema}.mzgis_security (
  one boolean PRIMARY KEY DEFAULT true CHECK (one), generation bigint NOT NULL);
INSERT INTO {schema}.mzgis_security (generation) VALUES (0);
"""

#: migrations of the record tables; append new steps, never edit one that has shipped
RECORD_MIGRATIONS: tuple[str, ...] = (
    _TABLES + _AUDIT_TRIGGERS,
    _ZONE_PLANS,
    _PER_CAMPAIGN_IDS,
    _SECURITY,
)

#: what the service's role ``{role}`` may do: write layers (it owns the tables it creates)
#: and records, but only read and append the audit log, the layer history and the versions
#: of zone plans
APP_GRANTS = """
GRANT USAGE, CREATE ON SCHEMA {schema} TO {role};
GRANT SELECT ON {schema}.mzgis_migrations TO {role};
GRANT SELECT, INSERT, DELETE ON {schema}.mzgis_layers TO {role};
GRANT SELECT, INSERT ON {schema}.mzgis_layers_history TO {role};
GRANT SELECT, INSERT, DELETE ON {schema}.mzgis_artifacts TO {role};
GRANT SELECT, INSERT, DELETE ON {schema}.mzgis_layer_versions TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.mzgis_users, {schema}.mzgis_tokens TO {role};
GRANT SELECT, UPDATE ON {schema}.mzgis_security TO {role};
GRANT SELECT, INSERT, UPDATE ON {schema}.mzgis_campaigns, {schema}.mzgis_marker_inspections,
  {schema}.mzgis_segment_checks TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.mzgis_campaign_members TO {role};
GRANT SELECT, INSERT, UPDATE ON {schema}.mzgis_zone_plans TO {role};
GRANT SELECT, INSERT ON {schema}.mzgis_photos, {schema}.mzgis_reviews,
  {schema}.mzgis_audit, {schema}.mzgis_zone_plan_versions TO {role};
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {schema}.mzgis_audit FROM {role};
GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
"""
