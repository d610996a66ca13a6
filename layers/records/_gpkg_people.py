"""Users, bearer tokens, campaigns and their members in the GeoPackage record store: the
shared :class:`~layers.records._sql_people.SqlPeople` on per-thread SQLite connections."""

from __future__ import annotations

from layers.records._gpkg_conn import ConnectionMixin
from layers.records._sql_people import SqlPeople, now_iso

__all__ = ["PeopleMixin", "now_iso"]


class PeopleMixin(ConnectionMixin, SqlPeople):
    """Users, tokens and campaigns of :class:`GeoPackageRecordStore`."""
