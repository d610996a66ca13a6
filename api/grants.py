"""A short-lived cache of what bearer tokens grant, for the hot write path (submissions), that
can never outlive a revocation.

A submission costs no read of the store for its token or its campaign while the cache is
warm: the cache keeps, per token digest, the :class:`~layers.records.Access` the store
gave (user, campaigns, expiry) and, per campaign id, its row, all read at one security
generation of the store. The write names that generation and the store refuses it, in the
write's own transaction, when any access change (revoked token, disabled or removed user,
new password, membership or campaign) committed since
(:class:`~layers.records.AccessChangedError`): the cache is then dropped and the request
checked again without it. So a cached grant decides nothing by itself: an answer either
comes from a write that confirmed the generation, or from an uncached check. This holds
across processes (each worker keeps its own cache; the generation lives in the store), so
no invalidation message is needed. Entries also expire after :data:`TTL_S` and with their
token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request

from layers.records import Access, Campaign, RecordStore

__all__ = ["MAX_ENTRIES", "TTL_S", "Grant", "Grants", "grants_of"]

#: how long an entry is kept at most (seconds)
TTL_S = 30.0
#: entries kept per table at most (the table is emptied when full)
MAX_ENTRIES = 10_000

V = TypeVar("V")


@dataclass(frozen=True)
class Grant:
    """A request's token (its digest) and what it grants; ``cached`` when from the cache."""

    digest: str
    access: Access
    cached: bool


class Grants:
    """Grants of tokens and campaign rows of one record store, at one security generation.

    Parameters
    ----------
    records
        The store read on a miss.
    ttl_s, max_entries, clock
        Entry lifetime (seconds), size bound per table, and the monotonic clock.
    """

    def __init__(
        self,
        records: RecordStore,
        *,
        ttl_s: float = TTL_S,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.records = records
        self._ttl_s, self._max, self._clock = ttl_s, max_entries, clock
        self._lock = threading.Lock()
        self._generation = -1
        self._tokens: dict[str, tuple[float, Access]] = {}
        self._campaigns: dict[str, tuple[float, Campaign]] = {}

    def cached(self, digest: str, *, now: str) -> Grant | None:
        """What the token with SHA-256 ``digest`` granted when the cache read it, if the
        cache holds it and it is unexpired at ``now`` (ISO time); no read of the store."""
        hit = self._get(self._tokens, digest)
        return Grant(digest, hit, cached=True) if hit is not None and hit.expires_at > now else None

    def read(self, digest: str, *, now: str) -> Grant | None:
        """What the token with SHA-256 ``digest`` grants at ``now``, read from the store (and
        kept); ``None`` when it grants nothing (never kept)."""
        access = self.records.access_for_token(digest, now=now)
        if access is None:
            return None
        self._keep(self._tokens, digest, access, access.generation)
        return Grant(digest, access, cached=False)

    def campaign(self, campaign_id: str, generation: int) -> Campaign | None:
        """The campaign as of security generation ``generation``: ``None`` when there is no
        such campaign or the store has moved on (then check without the cache)."""
        hit = self._get(self._campaigns, campaign_id)
        if hit is not None and self._generation == generation:
            return hit
        campaign, found = self.records.campaign_at(campaign_id)
        if campaign is not None:
            self._keep(self._campaigns, campaign_id, campaign, found)
        return campaign if found == generation else None

    def holds(self, digest: str) -> bool:
        """Whether the cache holds a live grant of the token with SHA-256 ``digest``."""
        return self._get(self._tokens, digest) is not None

    def forget(self) -> None:
        """Drop every entry (a write found the store at another generation); the next read
        sets the cache's generation, whichever it is."""
        with self._lock:
            self._tokens.clear()
            self._campaigns.clear()
            self._generation = -1

    def _get(self, table: dict[str, tuple[float, V]], key: str) -> V | None:
        with self._lock:
            entry = table.get(key)
        if entry is None or self._clock() - entry[0] > self._ttl_s:
            return None
        return entry[1]

    def _keep(self, table: dict[str, tuple[float, V]], key: str, value: V, generation: int) -> None:
        """Keep ``value`` read at ``generation``: a newer generation empties the cache first;
        an older one (a read that raced a change) is not kept."""
        with self._lock:
            if generation > self._generation:
                self._tokens.clear()
                self._campaigns.clear()
                self._generation = generation
            if generation == self._generation:
                if len(table) >= self._max:
                    table.clear()
                table[key] = (self._clock(), value)


def grants_of(request: Request, records: RecordStore) -> Grants:
    """The app's cache of grants for ``records`` (made on first use, and anew when the app's
    record store is another one)."""
    grants: Grants | None = getattr(request.app.state, "grants", None)
    if grants is None or grants.records is not records:
        grants = Grants(records)
        request.app.state.grants = grants
    return grants
